# Template of prepare_data.py, the data script of the cluster export (src/export/prepareData.ts fills it).
# Everything down to the "end of template notes" line is for readers of this file and is not exported.
# __TEMPLATE_NAME__ placeholders (Python names, so this file still parses) are replaced by the
# experiment's settings as Python literals. src/export/pythonParity.test.ts compiles the filled script
# and runs it on a small dataset.
# ---- end of template notes ----
# prepare_data.py: train/val files for the exported lab experiment (generated; edit freely).
#
#   python3 prepare_data.py                      # defaults below: the paper's DeepScaleR + MATH-500
#   python3 prepare_data.py --train my.jsonl --val my_eval.jsonl --problem-key question
#
# Rows keep only problems whose answer is an integer by default: lab_reward.py grades as the lab does
# (normalised integers), so non-integer answers would always score 0 under answer-based rewards. Pass
# --keep-non-integer together with a real math grader if you need them.
import argparse
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import lab_reward  # noqa: E402  (the same extraction and majority vote as the lab)

ENGINE = __TEMPLATE_ENGINE__
TRAINING_SET = __TEMPLATE_TRAINING_SET__
SYSTEM_PROMPT = "Please reason step by step, and put your final answer within \\boxed{}."


def parse_args():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--train", default="agentica-org/DeepScaleR-Preview-Dataset", help="HF dataset id or .jsonl/.json/.parquet")
    p.add_argument("--train-split", default="train")
    p.add_argument("--val", default="HuggingFaceH4/MATH-500", help="HF dataset id or .jsonl/.json/.parquet")
    p.add_argument("--val-split", default="test")
    p.add_argument("--problem-key", default="problem")
    p.add_argument("--answer-key", default="answer")
    p.add_argument("--out", default=os.path.join(HERE, "data"))
    p.add_argument("--format", choices=["parquet", "jsonl"], default=__TEMPLATE_FORMAT__)
    p.add_argument("--max-train", type=int, default=0, help="keep the first N training problems (0 = all)")
    p.add_argument("--max-val", type=int, default=0, help="keep the first N eval problems (0 = all)")
    p.add_argument("--keep-non-integer", action="store_true")
    p.add_argument("--one-shot-index", type=int, default=__TEMPLATE_ONE_SHOT_INDEX__)
    p.add_argument("--one-shot-repeat", type=int, default=1024, help="copies of the one-shot example")
    p.add_argument("--label-samples", type=int, default=__TEMPLATE_LABEL_SAMPLES__, help="k answers per prompt for majority labels")
    p.add_argument("--label-model", default=__TEMPLATE_LABEL_MODEL__)
    p.add_argument("--label-temperature", type=float, default=1.0)
    p.add_argument("--label-max-tokens", type=int, default=__TEMPLATE_LABEL_MAX_TOKENS__)
    p.add_argument("--seed", type=int, default=__TEMPLATE_SEED__)
    p.add_argument("--system-prompt", default=SYSTEM_PROMPT)
    return p.parse_args()


def load_rows(source, split):
    if os.path.exists(source):
        if source.endswith(".jsonl"):
            with open(source, encoding="utf-8") as f:
                return [json.loads(line) for line in f if line.strip()]
        if source.endswith(".json"):
            with open(source, encoding="utf-8") as f:
                return json.load(f)
        if source.endswith(".parquet"):
            import pandas

            return pandas.read_parquet(source).to_dict("records")
        raise SystemExit("unsupported file type: %s (use .jsonl, .json or .parquet)" % source)
    try:
        import datasets
    except ImportError:
        raise SystemExit("%s is not a file and the datasets package is missing (pip install datasets)" % source)
    return list(datasets.load_dataset(source, split=split))


def problems(rows, args, name):
    kept, dropped = [], 0
    for row in rows:
        if args.problem_key not in row or args.answer_key not in row:
            raise SystemExit("%s rows need %r and %r fields (see --problem-key/--answer-key)" % (name, args.problem_key, args.answer_key))
        answer = lab_reward.normalise_integer_answer(row[args.answer_key])
        if answer is None and not args.keep_non_integer:
            dropped += 1
            continue
        kept.append({"problem": str(row[args.problem_key]), "answer": answer if answer is not None else str(row[args.answer_key])})
    print("%s: %d problems kept, %d dropped (non-integer answers)" % (name, len(kept), dropped))
    return kept


def messages(problem, args):
    return [{"role": "system", "content": args.system_prompt}, {"role": "user", "content": problem}]


def majority_labels(items, args):
    """The pre-RL model answers each prompt k times; the most common integer answer is the label."""
    try:
        from vllm import LLM, SamplingParams
    except ImportError:
        raise SystemExit("offline majority labels need vLLM (pip install vllm) and a GPU")
    llm = LLM(model=args.label_model, seed=args.seed)
    params = SamplingParams(n=args.label_samples, temperature=args.label_temperature, top_p=1.0,
                            max_tokens=args.label_max_tokens, seed=args.seed)
    outputs = llm.chat([messages(item["problem"], args) for item in items], params)
    for item, output in zip(items, outputs):
        answers = [lab_reward.extract_integer_answer(o.text) for o in output.outputs]
        item["majority_label"] = lab_reward.majority_answer(answers)
    return items


def training_items(items, args):
    if TRAINING_SET == "one_shot":
        if not 0 <= args.one_shot_index < len(items):
            raise SystemExit("--one-shot-index %d outside 0..%d" % (args.one_shot_index, len(items) - 1))
        return [dict(items[args.one_shot_index]) for _ in range(args.one_shot_repeat)]
    if TRAINING_SET in ("majority_labels", "incorrect_labels"):
        items = majority_labels(items, args)
        items = [it for it in items if it.get("majority_label") is not None]
        if TRAINING_SET == "incorrect_labels":
            items = [it for it in items if it["majority_label"] != it["answer"]]
        print("labelled prompts kept for %s: %d" % (TRAINING_SET, len(items)))
    return items


def engine_row(item, index, split, args):
    label = item.get("majority_label")
    if ENGINE == "verl":
        return {
            "data_source": "spurious-rewards-lab",
            "prompt": messages(item["problem"], args),
            "ability": "math",
            "reward_model": {"style": "rule", "ground_truth": item["answer"]},
            "extra_info": {"index": index, "split": split, "majority_label": label},
        }
    return {
        "prompt": messages(item["problem"], args),
        "label": json.dumps({"answer": item["answer"], "majority_label": label, "split": split}),
    }


def write(rows, path, fmt):
    if fmt == "jsonl":
        with open(path, "w", encoding="utf-8") as f:
            for row in rows:
                f.write(json.dumps(row) + "\n")
        return
    import pandas

    pandas.DataFrame(rows).to_parquet(path)


def main():
    args = parse_args()
    os.makedirs(args.out, exist_ok=True)
    train = problems(load_rows(args.train, args.train_split), args, "train")
    if args.max_train > 0:
        train = train[: args.max_train]
    train = training_items(train, args)
    val = problems(load_rows(args.val, args.val_split), args, "val")
    if args.max_val > 0:
        val = val[: args.max_val]
    for name, items in (("train", train), ("val", val)):
        # split "val" tells lab_reward.py to score these rows by ground truth (accuracy), whatever the
        # training reward.
        path = os.path.join(args.out, "%s.%s" % (name, args.format))
        write([engine_row(item, i, name, args) for i, item in enumerate(items)], path, args.format)
        print("wrote %s (%d rows)" % (path, len(items)))


if __name__ == "__main__":
    main()
