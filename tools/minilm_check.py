#!/usr/bin/env python3
"""Check finecat against transformers on the real all-MiniLM-L6-v2 weights (issue 12).

Builds BertForSequenceClassification from the MiniLM encoder with a head seeded by
torch.manual_seed(SEED) (3 NLI labels), saves it, and runs 256 real pairs from every source
under ../shared/data through finecat (`finecat predict` and `finecat tokenize`) and through
transformers (fp32, eager attention). Prints token-id agreement and the largest logit
difference. Run from the repository root after `make`:

    python3 tools/minilm_check.py [BASE_DIR]

BASE_DIR defaults to build/recipe/base/all-MiniLM-L6-v2 (the base recipe/run.sh fetches).
Needs torch and transformers (PyPI).
"""
import json
import os
import subprocess
import sys
import tempfile

import torch
from transformers import AutoTokenizer, BertForSequenceClassification

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures"))
from real_pairs import shared_data_dir, spread_pairs  # noqa: E402

SEED = 1234
N_PAIRS = 256
LABELS = {0: "entailment", 1: "neutral", 2: "contradiction"}


def main():
    base = sys.argv[1] if len(sys.argv) > 1 else "build/recipe/base/all-MiniLM-L6-v2"
    finecat = os.environ.get("FINECAT_BIN", "build/finecat")
    pairs = spread_pairs(shared_data_dir(), N_PAIRS)
    with tempfile.TemporaryDirectory() as out:
        torch.manual_seed(SEED)
        model = BertForSequenceClassification.from_pretrained(
            base, num_labels=3, id2label=LABELS, label2id={v: k for k, v in LABELS.items()},
            dtype=torch.float32, attn_implementation="eager").eval()
        model.save_pretrained(out)
        tok = AutoTokenizer.from_pretrained(base)
        tok.save_pretrained(out)
        inp = os.path.join(out, "pairs.jsonl")
        with open(inp, "w") as f:
            for p in pairs:
                f.write(json.dumps({"premise": p["premise"], "hypothesis": p["hypothesis"]}) + "\n")
        res = subprocess.run([finecat, "predict", "--model", out, "--input", inp],
                             capture_output=True, text=True, check=True)
        ours = [json.loads(line)["logits"] for line in res.stdout.splitlines() if line.strip()]
        worst, agree, ids_equal = 0.0, 0, 0
        with torch.no_grad():
            for p, got in zip(pairs, ours):
                enc = tok([p["premise"]], [p["hypothesis"]], truncation=True, max_length=512,
                          return_tensors="pt")
                want = model(**enc).logits[0]
                worst = max(worst, float((torch.tensor(got) - want).abs().max()))
                agree += int(torch.tensor(got).argmax() == want.argmax())
        lines = "".join(json.dumps({"premise": p["premise"], "hypothesis": p["hypothesis"]}) + "\n"
                        for p in pairs)
        res = subprocess.run([finecat, "tokenize", "--model", out, "--pair"], input=lines,
                             capture_output=True, text=True, check=True)
        for p, line in zip(pairs, res.stdout.splitlines()):
            got_ids = [int(x) for x in line.split()]
            ids_equal += got_ids == tok(p["premise"], p["hypothesis"])["input_ids"]
    print(f"all-MiniLM-L6-v2 + seeded head (torch seed {SEED}), {len(ours)} real pairs: "
          f"max |logit diff| {worst:.2e}, argmax agreement {agree}/{len(ours)}, "
          f"token ids equal {ids_equal}/{len(pairs)}")
    return 0 if worst < 1e-4 and ids_equal == len(pairs) and len(ours) == len(pairs) else 1


if __name__ == "__main__":
    sys.exit(main())
