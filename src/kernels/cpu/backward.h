// Backward of the CPU reference kernels (kernels.h), one beside each forward as llm.c does.
// Every tensor is row-major float32; T is a number of packed tokens (or of sequences for the
// classifier head). Gradients of parameters are always accumulated (+=), so that micro-batches
// add up until the optimizer step; what each function does with the gradient of its input is
// stated on it. Every loop either owns its output rows or runs in a fixed order, so results do
// not depend on the number of threads' scheduling: training is reproducible bit for bit.
#ifndef FC_KERNELS_CPU_BACKWARD_H
#define FC_KERNELS_CPU_BACKWARD_H

#include <stddef.h>
#include <stdint.h>

// out = in · weightᵀ + bias (fc_linear_forward). Writes din = dout · weight (overwriting;
// skipped when din is NULL), and accumulates dweight += doutᵀ · in and, when dbias is not
// NULL, dbias += Σ_t dout[t].
void fc_linear_backward(float *din, float *dweight, float *dbias, const float *dout,
                        const float *in, const float *weight, int T, int in_dim, int out_dim);

// One row's mean and 1 / sqrt(var + eps), exactly as fc_layernorm_forward computes them, so
// that the backward's x̂ equals the forward's bit for bit.
void fc_layernorm_stats(const float *x, int C, float eps, float *mean, float *rstd);

// LayerNorm (fc_layernorm_forward) backward. Accumulates din += ∂L/∂in (so that a residual
// branch's gradient can be summed in place), dweight += Σ dout·x̂ and, when dbias is not NULL,
// dbias += Σ dout. The mean and 1/std of each row are recomputed from in with the forward
// kernel's arithmetic instead of being stored. din must not alias dout.
void fc_layernorm_backward(float *din, float *dweight, float *dbias, const float *dout,
                           const float *in, const float *weight, int T, int C, float eps);

// Derivative of the exact GELU: Φ(x) + x·φ(x), as PyTorch's GeluBackward computes it.
float fc_gelu_derivative(float x);
// din = dout · gelu'(in), overwriting; in is the GELU's input.
void fc_gelu_backward(float *din, const float *dout, const float *in, int n);
// GeGLU (fc_geglu_forward): in is [T, 2I] (input | gate), dout [T, I]. Writes din [T, 2I]:
// d input = dout · gate · gelu'(input), d gate = dout · gelu(input).
void fc_geglu_backward(float *din, const float *dout, const float *in, int T, int intermediate);

// RoPE (fc_rope_apply_qk) backward: the rotation is orthogonal, so the gradient of the
// un-rotated Q and K is the gradient of the rotated ones turned back by the same angle.
// In place on the Q and K parts of dqkv [T, 3H]; the V part is untouched.
void fc_rope_backward_qk(float *dqkv, const int32_t *positions, const float *cos_table,
                         const float *sin_table, int T, int num_heads, int head_dim);

// Attention (fc_attention_forward) backward. qkv is the forward's input (RoPE applied), dout
// the gradient of its output [T, H]. Writes dqkv [T, 3H] (overwriting). The probabilities are
// recomputed from Q and K exactly as the forward computed them. Work is split by (sequence,
// head), which owns its rows of dQ, dK and dV, so no two threads write the same float.
// scratch holds 2 · longest floats per thread, scratch_per_thread of them each.
void fc_attention_backward(float *dqkv, const float *dout, const float *qkv,
                           const int32_t *offsets, int n_seqs, int num_heads, int head_dim,
                           int window, float *scratch, int scratch_per_thread);

// Pooling of the final hidden states (modernbert.c pool): mean over each sequence's tokens, or
// its first ([CLS]) token. Accumulates dhidden [T, H] += the gradient from dpooled [n_seqs, H].
void fc_mean_pool_backward(float *dhidden, const float *dpooled, const int32_t *offsets,
                           int n_seqs, int H);
void fc_cls_pool_backward(float *dhidden, const float *dpooled, const int32_t *offsets,
                          int n_seqs, int H);

// Embedding lookup backward: scatter-adds dout[t] into the row ids[t] of dtable [V, H], in
// token order. Row padding_idx gets nothing, as torch.nn.Embedding(padding_idx=...) does
// (model-reference.md §3.6, P23); padding_idx < 0 means none.
void fc_embedding_backward(float *dtable, const float *dout, const int32_t *ids, int T, int H,
                           int padding_idx);

// fc_attention_dropout_forward backward: regenerates the mask from seed, recomputes the
// probabilities, writes dqkv [T, 3H] (overwriting). Same scratch as the forward.
void fc_attention_dropout_backward(float *dqkv, const float *dout, const float *qkv,
                                   const int32_t *offsets, int n_seqs, int num_heads,
                                   int head_dim, float p, uint64_t seed, float *scratch,
                                   size_t scratch_per_thread);

// tanh backward from its output y: din = dout · (1 − y²), overwriting.
void fc_tanh_backward(float *din, const float *dout, const float *y, int n);

#endif
