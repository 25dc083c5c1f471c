# Template of lab_reward.py, the reward module of the cluster export (src/export/python.ts fills it).
# Everything down to the "end of template notes" line is for readers of this file and is not exported.
# __TEMPLATE_NAME__ placeholders (Python names, so this file still parses) are replaced by the
# experiment's settings and, at __TEMPLATE_REWARD_FUNCTIONS__, by one function per reward of the lab's
# registry (src/rl/rewards.ts, each reward's `python` body). src/export/pythonParity.test.ts runs the
# filled module under python3 against the TypeScript rewards.
# ---- end of template notes ----
# lab_reward.py: the Spurious Rewards Lab's rewards for a cluster run (generated; do not edit by hand).
# Experiment: #__TEMPLATE_SOURCE_HASH__
# Reward: __TEMPLATE_REWARD_NAME__
#
# Every function here is a twin of the lab's TypeScript (src/tasks/answer.ts, src/util/random.ts,
# src/rl/rewards.ts) and is checked against it on a shared fixture file. Standard library only.
#
# Settings can be overridden without regenerating: LAB_REWARD, LAB_GAMMA, LAB_SEED.
import json
import os
import re

REWARD = os.environ.get("LAB_REWARD", __TEMPLATE_REWARD__)
GAMMA = float(os.environ.get("LAB_GAMMA", __TEMPLATE_GAMMA__))
SEED = int(os.environ.get("LAB_SEED", __TEMPLATE_SEED__))
REWARD_RNG_STREAM = __TEMPLATE_REWARD_RNG_STREAM__

# ---------------------------------------------------------------------------------------------------
# Answer extraction, as src/tasks/answer.ts: the LAST non-empty brace-matched \boxed{...}, compared as
# a normalised integer. JavaScript's trim() and \s are mirrored exactly (they differ from Python's).

_JS_WHITESPACE = "\t\n\v\f\r \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
_BOX_OPEN = "\\boxed{"
_INTEGER = re.compile("^([+-]?)[" + _JS_WHITESPACE + "]*(\\d{1,3}(?:,\\d{3})+|\\d+)(?:\\.0+)?$", re.ASCII)
_MAX_SAFE_INTEGER = 2**53 - 1


def _js_trim(text):
    return text.strip(_JS_WHITESPACE)


def all_boxed_contents(text):
    contents = []
    start_from = 0
    while True:
        start = text.find(_BOX_OPEN, start_from)
        if start < 0:
            break
        content_start = start + len(_BOX_OPEN)
        depth = 1
        i = content_start
        while i < len(text):
            ch = text[i]
            if ch == "{":
                depth += 1
            elif ch == "}":
                depth -= 1
                if depth == 0:
                    break
            i += 1
        if depth == 0:
            contents.append(text[content_start:i])
        start_from = content_start
    return contents


def extract_boxed_answer(text):
    for content in reversed(all_boxed_contents(text)):
        if _js_trim(content) != "":
            return content
    return None


def has_boxed_answer(text):
    return extract_boxed_answer(text) is not None


def normalise_integer_answer(raw):
    if raw is None or isinstance(raw, bool):
        return None
    if isinstance(raw, (int, float)):
        if isinstance(raw, float) and not raw.is_integer():
            return None
        value = int(raw)
        return str(value) if abs(value) <= _MAX_SAFE_INTEGER else None
    text = _js_trim(str(raw))
    while text.startswith("$") and text.endswith("$") and len(text) >= 2:
        text = _js_trim(text[1:-1])
    while text.startswith("{") and text.endswith("}"):
        text = _js_trim(text[1:-1])
    text = text.replace("\u2212", "-")
    match = _INTEGER.match(text)
    if not match:
        return None
    digits = re.sub("^0+(?=\\d)", "", match.group(2).replace(",", ""))
    if digits == "0":
        return "0"
    return ("-" if match.group(1) == "-" else "") + digits


def extract_integer_answer(response):
    boxed = extract_boxed_answer(response)
    return None if boxed is None else normalise_integer_answer(boxed)


def grade_answer(response, gold):
    expected = normalise_integer_answer(gold)
    if expected is None:
        return False
    return extract_integer_answer(response) == expected


def majority_answer(answers):
    """Most common non-None answer; ties go to the one seen first (as the lab)."""
    counts = {}
    for answer in answers:
        if answer is not None:
            counts[answer] = counts.get(answer, 0) + 1
    best, votes = None, 0
    for answer, count in counts.items():
        if count > votes:
            best, votes = answer, count
    return best


# ---------------------------------------------------------------------------------------------------
# The lab's seeded generator (sfc32 seeded through splitmix32, src/util/random.ts), bit for bit.

_M32 = 0xFFFFFFFF


def _splitmix32(seed):
    state = [seed & _M32]

    def step():
        state[0] = (state[0] + 0x9E3779B9) & _M32
        z = state[0]
        z = ((z ^ (z >> 16)) * 0x85EBCA6B) & _M32
        z = ((z ^ (z >> 13)) * 0xC2B2AE35) & _M32
        return (z ^ (z >> 16)) & _M32

    return step


class LabRandom:
    def __init__(self, seed, *streams):
        mixed = seed & _M32
        for stream in streams:
            s = stream & _M32
            mixed = (_splitmix32(mixed ^ ((s * 0x27D4EB2D) & _M32))() ^ s) & _M32
        step = _splitmix32(mixed)
        self.a, self.b, self.c, self.d = step(), step(), step(), step()
        for _ in range(12):
            self.next_u32()

    def next_u32(self):
        t = (((self.a + self.b) & _M32) + self.d) & _M32
        self.d = (self.d + 1) & _M32
        self.a = self.b ^ (self.b >> 9)
        self.b = (self.c + (self.c << 3)) & _M32
        self.c = ((self.c << 21) | (self.c >> 11)) & _M32
        self.c = (self.c + t) & _M32
        return t

    def next(self):
        return self.next_u32() / 4294967296.0


def reward_rng(seed, step, prompt_index, sample_index):
    """The lab's rewardRng: one generator per (seed, step, prompt, sample)."""
    return LabRandom(seed, REWARD_RNG_STREAM, step, prompt_index, sample_index)


# Engines do not tell a reward function its step or sample index, so on a cluster random rewards draw
# from one generator per worker process (independent of the response, as the paper's random reward).
# When extra_info carries lab_step / lab_prompt_index / lab_sample_index, the lab's exact draw is used.
_process_rng = None


def _fallback_rng():
    global _process_rng
    if _process_rng is None:
        _process_rng = LabRandom(SEED, REWARD_RNG_STREAM, 0xFFFFFFFF, os.getpid())
    return _process_rng


# ---------------------------------------------------------------------------------------------------
# Rewards: bodies copied from the lab's reward registry. example = {"answer", "label"};
# ctx = {"group", "sample_index", "gamma", "rng"}.

__TEMPLATE_REWARD_FUNCTIONS__


def parse_reward_name(name):
    """a_AND_b and inverse_a, as the lab parses them. Raises ValueError naming the valid rewards."""
    exprs = []
    for part in str(name).strip().split("_AND_"):
        rest, inversions = part, 0
        while rest.startswith("inverse_"):
            rest = rest[len("inverse_"):]
            inversions += 1
        if rest not in REWARDS:
            raise ValueError(
                "unknown reward %r; valid names: %s, combined as a_AND_b or inverse_a"
                % (rest, ", ".join(REWARDS))
            )
        expr = ("base", rest)
        for _ in range(inversions):
            expr = ("inverse", expr)
        exprs.append(expr)
    return exprs[0] if len(exprs) == 1 else ("and", exprs)


def _evaluate(expr, response, example, ctx):
    kind = expr[0]
    if kind == "base":
        return float(REWARDS[expr[1]](response, example, ctx))
    if kind == "inverse":
        return 1.0 - _evaluate(expr[1], response, example, ctx)
    # Every part is evaluated (no short-circuit) so random parts always consume their draw, as the lab.
    value = 1.0
    for part in expr[1]:
        value = min(value, _evaluate(part, response, example, ctx))
    return value


def lab_reward(name, response, answer, label=None, group=None, sample_index=0, gamma=None, rng=None):
    """The reward of one response; group = all responses to the same prompt (online majority vote)."""
    ctx = {
        "group": list(group) if group is not None else [response],
        "sample_index": sample_index,
        "gamma": GAMMA if gamma is None else gamma,
        "rng": rng if rng is not None else _fallback_rng(),
    }
    return _evaluate(parse_reward_name(name), response, {"answer": answer, "label": label}, ctx)


def _uses(expr, base):
    if expr[0] == "base":
        return expr[1] == base
    if expr[0] == "inverse":
        return _uses(expr[1], base)
    return any(_uses(part, base) for part in expr[1])


def _rng_from(extra_info):
    info = extra_info or {}
    keys = ("lab_step", "lab_prompt_index", "lab_sample_index")
    if all(key in info for key in keys):
        return reward_rng(int(info.get("lab_seed", SEED)), *(int(info[key]) for key in keys))
    return None


def _needs_group(name):
    return _uses(parse_reward_name(name), "majority_vote_online")


# ---------------------------------------------------------------------------------------------------
# Engine entry points. Training rows get the configured reward; validation rows (split "val"/"test",
# written by prepare_data.py) get ground truth, because the engines score validation with the same
# function and the experiment is about ACCURACY under a spurious training reward. Every result also
# carries "acc" (ground truth) and "code_reasoning" (the paper's "python" test) for the logs. Extra
# keyword arguments that newer engine versions pass are accepted and ignored.

EVAL_SPLITS = ("val", "test")


def _details(response, answer, label, group, sample_index, rng, split):
    correct = 1.0 if grade_answer(response, answer) else 0.0
    if split in EVAL_SPLITS:
        score = correct
    else:
        score = lab_reward(REWARD, response, answer, label, group, sample_index, rng=rng)
    return {"score": score, "acc": correct, "code_reasoning": 1.0 if "python" in response.lower() else 0.0}


# verl: custom_reward_function.path=lab_reward.py, custom_reward_function.name=compute_score
# (reward_model.reward_manager=naive) or name=compute_score_batch (reward_manager=batch).


def compute_score(data_source, solution_str, ground_truth, extra_info=None, **_engine_kwargs):
    info = extra_info or {}
    split = info.get("split")
    if split not in EVAL_SPLITS and _needs_group(REWARD):
        raise ValueError(
            "reward %s needs the whole group: use reward_model.reward_manager=batch and "
            "custom_reward_function.name=compute_score_batch" % REWARD
        )
    return _details(solution_str, ground_truth, info.get("majority_label"), None, 0, _rng_from(info), split)


def _group_runs(keys):
    """Consecutive runs of equal keys: verl and OpenRLHF lay out a prompt's samples side by side."""
    runs, start = [], 0
    for i in range(1, len(keys) + 1):
        if i == len(keys) or keys[i] != keys[start]:
            runs.append((start, i))
            start = i
    return runs


def compute_score_batch(data_sources, solution_strs, ground_truths, extra_infos=None, **_engine_kwargs):
    infos = [info or {} for info in (extra_infos if extra_infos is not None else [None] * len(solution_strs))]
    keys = [
        json.dumps([str(ground_truths[i]), str(infos[i].get("index", infos[i].get("prompt", "")))])
        for i in range(len(solution_strs))
    ]
    results = [None] * len(solution_strs)
    for start, end in _group_runs(keys):
        group = list(solution_strs[start:end])
        for i in range(start, end):
            results[i] = _details(
                solution_strs[i],
                ground_truths[i],
                infos[i].get("majority_label"),
                group,
                i - start,
                _rng_from(infos[i]),
                infos[i].get("split"),
            )
    return results


# ---------------------------------------------------------------------------------------------------
# OpenRLHF: --remote_rm_url lab_reward.py. queries are prompt + response; labels come from
# --label_key: the ground-truth answer, or JSON {"answer", "majority_label", "split"}.


def _parse_label(label):
    if isinstance(label, str) and label.startswith("{"):
        try:
            data = json.loads(label)
            return data.get("answer"), data.get("majority_label"), data.get("split")
        except ValueError:
            pass
    return label, None, None


def reward_func(queries, prompts, labels, **_engine_kwargs):
    responses = [q[len(p):] if q.startswith(p) else q for q, p in zip(queries, prompts)]
    details = [None] * len(responses)
    for start, end in _group_runs(list(prompts)):
        group = responses[start:end]
        for i in range(start, end):
            answer, majority, split = _parse_label(labels[i])
            details[i] = _details(responses[i], answer, majority, group, i - start, None, split)
    scores = [d["score"] for d in details]
    logs = {key: [d[key] for d in details] for key in ("acc", "code_reasoning")}
    try:
        import torch
    except ImportError:
        return {"rewards": scores, "scores": scores, "extra_logs": logs}
    tensor = torch.tensor(scores, dtype=torch.float32)
    return {
        "rewards": tensor,
        "scores": tensor,
        "extra_logs": {key: torch.tensor(values, dtype=torch.float32) for key, values in logs.items()},
    }


# Fail at import, not at the first reward, when the configured name is wrong.
parse_reward_name(REWARD)
