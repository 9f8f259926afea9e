#!/usr/bin/env python3
"""Check that transformers loads a finecat-made checkpoint (by default the shipped model,
models/finecat-nli-minilm) and gives finecat's logits: 256 real pairs from every source under
../shared/data through `finecat predict` and through AutoModelForSequenceClassification
(fp32, eager attention; f16 weights are widened to fp32 on both sides). Run from the
repository root after `make`:

    python3 tools/model_check.py [MODEL_DIR]

Needs torch and transformers (PyPI).
"""
import json
import os
import subprocess
import sys
import tempfile

import torch
from transformers import AutoModelForSequenceClassification, AutoTokenizer

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures"))
from real_pairs import shared_data_dir, spread_pairs  # noqa: E402


def main():
    model_dir = sys.argv[1] if len(sys.argv) > 1 else "models/finecat-nli-minilm"
    finecat = os.environ.get("FINECAT_BIN", "build/finecat")
    pairs = spread_pairs(shared_data_dir(), 256)
    model = AutoModelForSequenceClassification.from_pretrained(
        model_dir, dtype=torch.float32, attn_implementation="eager").eval()
    tok = AutoTokenizer.from_pretrained(model_dir)
    with tempfile.TemporaryDirectory() as tmp:
        inp = os.path.join(tmp, "pairs.jsonl")
        with open(inp, "w") as f:
            for p in pairs:
                f.write(json.dumps(p) + "\n")
        res = subprocess.run([finecat, "predict", "--model", model_dir, "--input", inp],
                             capture_output=True, text=True, check=True)
    ours = [json.loads(line) for line in res.stdout.splitlines() if line.strip()]
    worst, agree = 0.0, 0
    with torch.no_grad():
        for p, got in zip(pairs, ours):
            enc = tok([p["premise"]], [p["hypothesis"]], truncation=True, max_length=512,
                      return_tensors="pt")
            want = model(**enc).logits[0]
            got_logits = torch.tensor(got["logits"])
            worst = max(worst, float((got_logits - want).abs().max()))
            agree += int(got_logits.argmax() == want.argmax())
    print(f"{model_dir}: transformers {model.config.architectures[0]}, {len(ours)} real pairs: "
          f"max |logit diff| {worst:.2e}, argmax agreement {agree}/{len(ours)}")
    return 0 if worst < 1e-4 and len(ours) == len(pairs) else 1


if __name__ == "__main__":
    sys.exit(main())
