#!/usr/bin/env python3
"""Would a model trained for int8 agree with its own fp32 outputs more often? Simulates
finecat's int8 linear layers in PyTorch (blocks of 128 inputs Hadamard-rotated; weights per
output channel, symmetric, 8-bit; activations per token, asymmetric, 8-bit, as
src/kernels/cpu/linear_lowp.c computes them; attention and the classifier in fp32) and prints
argmax agreement and logit error against fp32 on the real pairs of bench/pairs.jsonl:

  1. the model as it is;
  2. its weights snapped onto the int8 grid (W := q(W·R)·Rᵀ), so that int8 weights are exact
     and only the activations' rounding is left;
  3. after --steps of quantization-aware fine-tuning (straight-through rounding, the FineCat
     loss against the starting model's logits) and the same snap; with --consistency X the
     loss adds X · mean((int8 logits − fp32 logits)²), both forwards with the same dropout.

Training rows: LingNLI train files of ../shared (pairs that are in bench/pairs.jsonl left out).

    tools/int8_qat_probe.py [--model models/finecat-nli-minilm] [--steps 300] [--lr 2e-5]
                            [--consistency 300] [--seed 0]

Developer tool (needs torch and transformers); the figures are in README "Matrix engines".
"""
import argparse
import glob
import json
import random

import torch
from transformers import AutoModelForSequenceClassification, AutoTokenizer

from int8_sim import hadamard, quantize_activations, quantize_weights

ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
ap.add_argument("--model", default="models/finecat-nli-minilm")
ap.add_argument("--pairs", default="bench/pairs.jsonl")
ap.add_argument("--shared", default="../shared")
ap.add_argument("--steps", type=int, default=300)
ap.add_argument("--lr", type=float, default=2e-5)
ap.add_argument("--consistency", type=float, default=0.0)
ap.add_argument("--batch-size", type=int, default=32)
ap.add_argument("--seed", type=int, default=0)
args = ap.parse_args()
torch.set_num_threads(2)
torch.manual_seed(args.seed)
random.seed(args.seed)

tok = AutoTokenizer.from_pretrained(args.model)
model = AutoModelForSequenceClassification.from_pretrained(args.model, dtype=torch.float32)
teacher = AutoModelForSequenceClassification.from_pretrained(args.model, dtype=torch.float32).eval()
pairs = [json.loads(line) for line in open(args.pairs)]
held_out = {(p["premise"], p["hypothesis"]) for p in pairs}
label_index = {"entailment": 0, "neutral": 1, "contradiction": 2}
train = []
for path in sorted(glob.glob(f"{args.shared}/data/nli/lingnli/train_round*.jsonl")):
    for line in open(path):
        r = json.loads(line)
        if r.get("label") in label_index and (r["premise"], r["hypothesis"]) not in held_out:
            train.append((r["premise"], r["hypothesis"], label_index[r["label"]]))
random.shuffle(train)


def straight_through(x, rounded):
    """rounded in the forward, the identity in the backward."""
    return x + (rounded - x).detach()


class Int8Linear(torch.nn.Module):
    """A linear layer that computes as finecat's int8 path when int8[0] is true."""

    def __init__(self, linear, int8):
        super().__init__()
        self.linear, self.int8 = linear, int8
        # finecat rotates blocks of 128 inputs where the width is a multiple of 128 (hadamard.c)
        self.register_buffer("rotation", hadamard(linear.in_features, 128))

    def forward(self, x):
        if not self.int8[0]:
            return self.linear(x)
        x = x @ self.rotation
        w = self.linear.weight @ self.rotation
        x = straight_through(x, quantize_activations(x.detach()))
        w = straight_through(w, quantize_weights(w.detach()))
        return torch.nn.functional.linear(x, w, self.linear.bias)


int8 = [False]
layers = []
for name, module in list(model.named_modules()):
    for child_name, child in list(module.named_children()):
        full = f"{name}.{child_name}" if name else child_name
        if isinstance(child, torch.nn.Linear) and "classifier" not in full and "pooler" not in full:
            wrapped = Int8Linear(child, int8)
            setattr(module, child_name, wrapped)
            layers.append(wrapped)


def encode(batch):
    return tok([p[0] for p in batch], [p[1] for p in batch], padding=True, truncation=True,
               return_tensors="pt")


def logits(enc, quantized):
    int8[0] = quantized
    return model(**enc).logits


def evaluate(label):
    model.eval()
    rows = [(p["premise"], p["hypothesis"]) for p in pairs]
    encoded = [encode(rows[i:i + 64]) for i in range(0, len(rows), 64)]
    with torch.no_grad():
        f = torch.cat([logits(enc, False) for enc in encoded])
        q = torch.cat([logits(enc, True) for enc in encoded])
    d = q - f
    centred = d - d.mean(1, keepdim=True)  # a shift of all three logits changes no decision
    top = f.topk(2, 1).values
    margin = top[:, 0] - top[:, 1]
    agree = (f.argmax(1) == q.argmax(1)).float().mean().item()
    print(f"{label:40s} argmax agreement {100 * agree:6.2f}%  logit error std {centred.std():.4f}"
          f"  max {d.abs().max():.4f}  fp32 margins < 0.01: {int((margin < 0.01).sum())},"
          f" < 0.03: {int((margin < 0.03).sum())}", flush=True)


def snap():
    with torch.no_grad():
        for layer in layers:
            r = layer.rotation
            layer.linear.weight.copy_(quantize_weights(layer.linear.weight @ r) @ r.T)


print(f"{args.model}: {len(pairs)} pairs, {len(train)} training rows")
evaluate("as it is")
start = {k: v.clone() for k, v in model.state_dict().items()}
snap()
evaluate("weights snapped onto the int8 grid")
model.load_state_dict(start)

optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.0)
B = args.batch_size
for step in range(args.steps):
    batch = train[(step * B) % len(train):(step * B) % len(train) + B]
    gold = torch.tensor([r[2] for r in batch])
    enc = encode(batch)
    with torch.no_grad():
        target = teacher(**enc).logits
    model.train()
    torch.manual_seed(args.seed * 100003 + step)  # the same dropout in both forwards
    quantized = logits(enc, True)
    loss = 0.5 * torch.nn.functional.cross_entropy(quantized, gold) + \
        0.5 * ((quantized - target) ** 2).mean()
    if args.consistency:
        torch.manual_seed(args.seed * 100003 + step)
        full = logits(enc, False)
        loss = loss + args.consistency * ((quantized - full) ** 2).mean()
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
snap()
evaluate(f"{args.steps} steps QAT (consistency {args.consistency:g}), snapped")
