"""finecat's int8 linear layers as PyTorch functions, for the developer tools that simulate
them (int8_sensitivity.py, int8_qat_probe.py): weights per output channel, symmetric, 8-bit;
activations per token, asymmetric with a zero point (as src/kernels/cpu/linear_lowp.c computes
them); inputs and weights rotated by blocks of a Hadamard matrix (src/kernels/cpu/hadamard.c).
"""
import torch


def quantize_activations(x, bits=8):
    """Each row's [min, max] (widened to hold 0) onto [0, 2^bits − 1], rounded, dequantized."""
    lo = torch.minimum(x.amin(-1, keepdim=True), torch.zeros(1))
    hi = torch.maximum(x.amax(-1, keepdim=True), torch.zeros(1))
    levels = 2 ** bits - 1
    scale = (hi - lo).clamp_min(1e-12) / levels
    zero = torch.round(-lo / scale)
    return (torch.clamp(torch.round(x / scale) + zero, 0, levels) - zero) * scale


def quantize_weights(w):
    """Each output channel's largest |w| onto 127, rounded, dequantized."""
    scale = w.abs().amax(1, keepdim=True).clamp_min(1e-12) / 127
    return torch.clamp(torch.round(w / scale), -127, 127) * scale


def hadamard(k, block):
    """Block-diagonal orthonormal Hadamard matrix [k, k] of blocks of `block` (a power of 2)."""
    h = torch.ones(1, 1)
    while h.shape[0] < block:
        h = torch.cat([torch.cat([h, h], 1), torch.cat([h, -h], 1)], 0)
    return torch.block_diag(*[h / block ** 0.5] * (k // block))
