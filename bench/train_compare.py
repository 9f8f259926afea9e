#!/usr/bin/env python3
"""Training speed: finecat train against PyTorch on the same base, data and batch size.

Fine-tunes all-MiniLM-L6-v2 (or any BERT folder) for NLI on the same real labelled pairs with
the same optimizer settings (AdamW, lr 1e-4, batch 32, max length 128), in one run:
  - PyTorch fp32, batches padded to their longest pair (dynamic padding, as the HF Trainer's
    DataCollatorWithPadding does);
  - PyTorch with torch.autocast("cpu", dtype=torch.bfloat16), where the CPU supports bf16;
  - finecat train (fp32, packed batches: no padding).
Reports pairs/s of each over the same steps after warm-up, and the ratios. Run from the
repository root after `make`:

    python3 bench/train_compare.py --base build/recipe/base/all-MiniLM-L6-v2 [--steps 30]

Needs torch and transformers (PyPI). Say which CPU you ran it on beside any figure.
"""
import argparse
import csv
import json
import os
import random
import subprocess
import sys
import tempfile
import time

import torch
from transformers import AutoTokenizer, BertForSequenceClassification

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools",
                                "fixtures"))
from real_pairs import shared_data_dir  # noqa: E402

LABELS = ["entailment", "neutral", "contradiction"]


def real_rows(n, seed):
    """n labelled pairs drawn from SNLI dev, LingNLI train and ANLI dev (short to long)."""
    nli = os.path.join(shared_data_dir(), "nli")
    rows = []
    with open(os.path.join(nli, "snli/csv_export/snli_dev.csv"), newline="", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            rows.append((r["sentence1"], r["sentence2"], r["gold_label"]))
    with open(os.path.join(nli, "lingnli/train_round1_LotS.jsonl")) as f:
        for line in f:
            r = json.loads(line)
            rows.append((r["premise"], r["hypothesis"], r["label"]))
    letters = {"e": "entailment", "n": "neutral", "c": "contradiction"}
    with open(os.path.join(nli, "anli/anli_v0.1/R1/dev.jsonl")) as f:
        for line in f:
            r = json.loads(line)
            rows.append((r["context"], r["hypothesis"], letters[r["label"]]))
    random.Random(seed).shuffle(rows)
    return rows[:n]


def torch_speed(base, rows, steps, warmup, batch, autocast):
    torch.manual_seed(0)
    model = BertForSequenceClassification.from_pretrained(base, num_labels=3)
    model.train()
    tok = AutoTokenizer.from_pretrained(base)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4, weight_decay=0.01)
    done, start = 0, None
    for step in range(warmup + steps):
        if step == warmup:
            start = time.perf_counter()
        part = rows[(step * batch) % len(rows):][:batch]
        enc = tok([r[0] for r in part], [r[1] for r in part], truncation=True, max_length=128,
                  padding=True, return_tensors="pt")
        labels = torch.tensor([LABELS.index(r[2]) for r in part])
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=autocast):
            loss = model(**enc, labels=labels).loss
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        opt.zero_grad()
        if step >= warmup:
            done += len(part)
    return done / (time.perf_counter() - start)


def finecat_speed(finecat, base, rows, steps, warmup, batch, threads):
    with tempfile.TemporaryDirectory() as tmp:
        data = os.path.join(tmp, "rows.jsonl")
        with open(data, "w") as f:
            for p, h, l in rows:
                f.write(json.dumps({"premise": p, "hypothesis": h, "label": l}) + "\n")
        out = os.path.join(tmp, "run")
        subprocess.run([finecat, "train", "--init", base, "--data", data, "--out", out,
                        "--steps", str(warmup + steps), "--batch-size", str(batch),
                        "--lr", "1e-4", "--alpha", "1", "--beta", "0", "--max-length", "128",
                        "--threads", str(threads), "--quiet"], check=True)
        with open(os.path.join(out, "train_log.csv")) as f:
            log = list(csv.DictReader(f))[warmup:]
        seconds = sum(int(r["rows"]) / float(r["samples_per_s"]) for r in log)
        return sum(int(r["rows"]) for r in log) / seconds


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--base", required=True, help="a BERT folder (e.g. the recipe's MiniLM)")
    ap.add_argument("--steps", type=int, default=30, help="timed steps (default 30)")
    ap.add_argument("--warmup", type=int, default=3, help="untimed first steps (default 3)")
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--finecat", default=os.environ.get("FINECAT_BIN", "build/finecat"))
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    rows = real_rows((args.steps + args.warmup) * args.batch_size, seed=1)
    bf16 = torch.backends.mkldnn.is_available() and "bf16" in open("/proc/cpuinfo").read()
    results = {"pytorch fp32 (padded batches)": torch_speed(args.base, rows, args.steps, args.warmup,
                                                            args.batch_size, False)}
    if bf16:
        results["pytorch bf16 autocast (padded)"] = torch_speed(args.base, rows, args.steps,
                                                                args.warmup, args.batch_size, True)
    results["finecat train fp32 (packed)"] = finecat_speed(args.finecat, args.base, rows, args.steps,
                                                           args.warmup, args.batch_size, args.threads)
    ref = results["pytorch fp32 (padded batches)"]
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    print(f"{cpu}, {args.threads} threads, torch {torch.__version__}, batch {args.batch_size}, "
          f"{args.steps} timed steps of real pairs")
    for name, v in results.items():
        print(f"  {name:34s} {v:7.1f} pairs/s  {v / ref:5.2f}x pytorch fp32")


if __name__ == "__main__":
    main()
