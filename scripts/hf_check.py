#!/usr/bin/env python3
"""Checks lab checkpoints against Hugging Face transformers' Qwen2 (needs torch + transformers).

For each checkpoint directory: loads it with AutoModelForCausalLM (eager attention, float32) and
requires no missing or unexpected weights, loads the tokenizer with AutoTokenizer and requires it to
encode the reference text to the lab's token ids, then compares transformers' logits with every
logits*.json the lab wrote there (`npm run lab -- logits DIR ['QUESTION']`). Exits 1 on any mismatch.

    python3 scripts/hf_check.py public/models/qwen-math-tiny [more dirs...]
"""
import glob
import json
import os
import sys

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

ATOL = RTOL = 1e-4  # float32 sums in another order over a few layers; observed 1.1e-5 to 9.8e-5 (README)


def dtype_argument() -> dict:
    """float32, under the keyword this transformers takes (`dtype` since 4.56; 5.x warns on `torch_dtype`)."""
    import transformers

    major, minor = (int(part) for part in transformers.__version__.split(".")[:2])
    return {"dtype": torch.float32} if (major, minor) >= (4, 56) else {"torch_dtype": torch.float32}


def check(ckpt: str) -> bool:
    model, info = AutoModelForCausalLM.from_pretrained(
        ckpt, **dtype_argument(), attn_implementation="eager", output_loading_info=True
    )
    ok = True
    if any(info.values()):
        print(f"FAIL {ckpt}: loading info {info}")
        ok = False
    if model.config.model_type != "qwen2":
        print(f"FAIL {ckpt}: model_type {model.config.model_type}")
        ok = False
    tokenizer = AutoTokenizer.from_pretrained(ckpt)
    refs = sorted(glob.glob(os.path.join(ckpt, "logits*.json")))
    if not refs:
        print(f"FAIL {ckpt}: no logits*.json (run `npm run lab -- logits {ckpt}` first)")
        return False
    for path in refs:
        ref = json.load(open(path))
        ids = ref["token_ids"]
        text = tokenizer.decode(ids)
        encoded = tokenizer(text)["input_ids"]
        if encoded != ids:
            first = next((i for i, (a, b) in enumerate(zip(encoded, ids)) if a != b), min(len(encoded), len(ids)))
            print(
                f"FAIL {path}: the HF tokenizer encodes the decoded text to other ids: first difference at "
                f"{first}: transformers {encoded[max(0, first - 3) : first + 4]} vs lab {ids[max(0, first - 3) : first + 4]} "
                f"(lengths {len(encoded)} vs {len(ids)}); decoded text starts {text[:60]!r}"
            )
            ok = False
        with torch.no_grad():
            logits = model(input_ids=torch.tensor([ids])).logits[0]
        want = torch.tensor(ref["logits"], dtype=torch.float32)
        diff = (logits - want).abs().max().item()
        close = torch.allclose(logits, want, atol=ATOL, rtol=RTOL)
        same_argmax = bool((logits.argmax(-1) == want.argmax(-1)).all())
        print(
            f"{'ok  ' if close and same_argmax else 'FAIL'} {path}: {len(ids)} tokens, "
            f"max |transformers - lab| = {diff:.2e}, argmax identical: {same_argmax}"
        )
        ok = ok and close and same_argmax
    return ok


def main() -> int:
    import transformers

    print(f"torch {torch.__version__}, transformers {transformers.__version__}")
    dirs = sys.argv[1:]
    if not dirs:
        print(__doc__)
        return 2
    results = [check(d) for d in dirs]
    print(f"{sum(results)} of {len(results)} checkpoints match transformers' Qwen2")
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
