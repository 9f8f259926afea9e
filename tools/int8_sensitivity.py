#!/usr/bin/env python3
"""Where a BERT-family model's int8 error comes from: simulates finecat's int8 linear layers
(per-output-channel symmetric 8-bit weights, per-token asymmetric 8-bit activations with a
zero point, as src/kernels/cpu/linear_lowp.c computes them) in PyTorch, one variant at a
time, and prints each variant's argmax agreement with fp32 and its logit differences on the
real pairs of bench/pairs.jsonl. Variants: weights or activations alone, each matrix type or
layer left in full precision, some in bf16, SmoothQuant migration and LLM.int8()-style
outlier channels from calibration statistics (pairs from training files, not the eval pairs).

    tools/int8_sensitivity.py [--model models/finecat-nli-minilm] [--shared ../shared]

Developer tool (needs torch and transformers); the figures are in README "Matrix engines".
"""
import argparse
import csv
import json

import torch
from transformers import AutoModelForSequenceClassification, AutoTokenizer

from int8_sim import hadamard, quantize_activations, quantize_weights

ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
ap.add_argument("--model", default="models/finecat-nli-minilm")
ap.add_argument("--pairs", default="bench/pairs.jsonl")
ap.add_argument("--shared", default="../shared")
args = ap.parse_args()
torch.set_num_threads(1)

tok = AutoTokenizer.from_pretrained(args.model)
model = AutoModelForSequenceClassification.from_pretrained(args.model, dtype=torch.float32).eval()
pairs = [json.loads(line) for line in open(args.pairs)]


def calibration_pairs():
    """256 pairs from training files of three sources (none of them in bench/pairs.jsonl)."""
    out = []
    data = f"{args.shared}/data/nli"
    for line in list(open(f"{data}/lingnli/train_round3_LitL.jsonl"))[:128]:
        r = json.loads(line)
        out.append((r["premise"], r["hypothesis"]))
    for path, p, h in ((f"{data}/cad/all_combined_train.tsv", "sentence1", "sentence2"),
                       (f"{data}/taxinli/taxinli10k.tsv", "prem", "hyp")):
        with open(path) as f:
            for i, r in enumerate(csv.DictReader(f, delimiter="\t")):
                if i == 64:
                    break
                out.append((r[p], r[h]))
    return [{"premise": p, "hypothesis": h} for p, h in out]


def run(ps):
    out = []
    with torch.no_grad():
        for i in range(0, len(ps), 64):
            b = ps[i:i + 64]
            enc = tok([p["premise"] for p in b], [p["hypothesis"] for p in b], padding=True,
                      truncation=True, return_tensors="pt")
            out.append(model(**enc).logits)
    return torch.cat(out)


linears = {n: m for n, m in model.named_modules()
           if isinstance(m, torch.nn.Linear) and "classifier" not in n and "pooler" not in n}
weights = {n: m.weight.data.clone() for n, m in linears.items()}


def bf16(x):
    return x.to(torch.bfloat16).to(torch.float32)


plan = {}  # linear name -> how its input is treated


def input_hook(module, inputs):
    p = plan.get(module.fc_name)
    if p is None:
        return None
    x = inputs[0]
    if p.get("bf16"):
        return (bf16(x),)
    if p.get("smooth") is not None:
        x = x / p["smooth"]
    if p.get("rotate") is not None:
        x = x @ p["rotate"]
    if p.get("outliers") is not None:
        keep = x[..., p["outliers"]].clone()
        x = x.clone()
        x[..., p["outliers"]] = 0
        x = quantize_activations(x)
        x[..., p["outliers"]] = keep
        return (x,)
    if p.get("int8_activations"):
        x = quantize_activations(x)
    return (x,)


for n, m in linears.items():
    m.fc_name = n
    m.register_forward_pre_hook(input_hook)

# Calibration: the largest |input| per channel of every linear layer, in fp32.
stats = {}


def stat_hook(module, inputs):
    x = inputs[0].reshape(-1, inputs[0].shape[-1]).abs().amax(0)
    n = module.fc_name
    stats[n] = torch.maximum(stats[n], x) if n in stats else x


hooks = [m.register_forward_pre_hook(stat_hook) for m in linears.values()]
run(calibration_pairs())
for h in hooks:
    h.remove()
reference = run(pairs)


def trial(label, int8_weights=True, int8_activations=True, full=(), in_bf16=(), alpha=None,
          outliers=0, rotate_block=0):
    plan.clear()
    for n, m in linears.items():
        w = weights[n]
        if any(s in n for s in full):
            m.weight.data = w
            continue
        if any(s in n for s in in_bf16):
            plan[n] = {"bf16": True}
            m.weight.data = bf16(w)
            continue
        p = {"int8_activations": int8_activations}
        if alpha is not None:
            s = stats[n].clamp_min(1e-5) ** alpha / w.abs().amax(0).clamp_min(1e-5) ** (1 - alpha)
            p["smooth"] = s
            w = w * s
        if rotate_block:
            r = hadamard(w.shape[1], rotate_block)
            p["rotate"] = r
            w = w @ r
        q = quantize_weights(w) if int8_weights else w
        if outliers:
            o = torch.topk(stats[n], outliers).indices
            p["outliers"] = o
            q[:, o] = w[:, o]
        m.weight.data = q
        plan[n] = p
    got = run(pairs)
    diff = (reference - got).abs()
    agree = (reference.argmax(1) == got.argmax(1)).float().mean().item()
    print(f"  {label:44s} argmax {100 * agree:6.2f}%  max |diff| {diff.max():.4f}  "
          f"mean {diff.mean():.4f}", flush=True)


top = reference.topk(2, 1).values
margins = top[:, 0] - top[:, 1]
print(f"{args.model}: {len(pairs)} pairs; fp32 margin between the top two logits < 0.05 on "
      f"{int((margins < 0.05).sum())} pairs, < 0.1 on {int((margins < 0.1).sum())}")
trial("int8 weights and activations (finecat)")
for block in (16, 32, 64, 128):
    trial(f"Hadamard rotation of the inputs, blocks of {block}", rotate_block=block)
trial("int8 weights only", int8_activations=False)
trial("int8 activations only", int8_weights=False)
for part in ("attention.self", "attention.output", "intermediate", "output.dense"):
    trial(f"... {part} in fp32", full=[part])
for layer in range(model.config.num_hidden_layers):
    trial(f"... layer {layer} in fp32", full=[f"layer.{layer}."])
trial("everything bf16", in_bf16=[""])
trial("... feed-forward (both matrices) in bf16", in_bf16=["intermediate", "output.dense"])
for alpha in (0.3, 0.5, 0.7):
    trial(f"SmoothQuant alpha {alpha}", alpha=alpha)
for k in (4, 8, 16):
    trial(f"{k} outlier input channels in fp32", outliers=k)
