// The CPU reference kernels. Every tensor is row-major float32; T is a number of packed tokens.
// These are the specification that faster paths are tested against (style.md, llm.c).
#ifndef FC_KERNELS_CPU_KERNELS_H
#define FC_KERNELS_CPU_KERNELS_H

#include <stddef.h>
#include <stdint.h>

// out[T, out_dim] = in[T, in_dim] · weightᵀ + bias, with weight [out_dim, in_dim] as PyTorch's
// Linear stores it; bias may be NULL.
void fc_linear_forward(float *out, const float *in, const float *weight, const float *bias,
                       int T, int in_dim, int out_dim);

// LayerNorm over the last dimension: (x − mean) / sqrt(var + eps) · weight (+ bias), with the
// biased variance (divide by C). bias may be NULL (ModernBERT's norm_bias = false). out may
// equal in.
void fc_layernorm_forward(float *out, const float *in, const float *weight, const float *bias,
                          int T, int C, float eps);

// Exact GELU, 0.5·x·(1 + erf(x/√2)): every "gelu" in the target checkpoints (P5).
float fc_gelu(float x);
void fc_gelu_forward(float *x, int n);
// The same on one row, on the calling thread (epilogues of GEMMs that run rows in parallel).
void fc_gelu_row(float *x, int n);

// GeGLU: in is [T, 2·intermediate]; out[t, i] = gelu(in[t, i]) · in[t, intermediate + i] (the first half is
// activated, the second is the gate: P4).
void fc_geglu_forward(float *out, const float *in, int T, int intermediate);
// The same on one row (in [2·intermediate], out [intermediate]), on the calling thread.
void fc_geglu_row(float *out, const float *in, int intermediate);

// RoPE tables as transformers computes them in float32 (model-reference.md §3.4):
// inv_freq[k] = 1 / theta^(2k/d), angle = float(p)·inv_freq[k], cos/sin in float32.
// cos and sin are [n_positions, head_dim / 2].
void fc_rope_table(float *cos_table, float *sin_table, int n_positions, int head_dim, float theta);

// Rotates, in place, the Q and K parts of packed qkv rows [T, 3H] (rotate_half / NeoX layout:
// dim k pairs with k + d/2). positions[t] is the token's position inside its own sequence.
void fc_rope_apply_qk(float *qkv, const int32_t *positions, const float *cos_table,
                      const float *sin_table, int T, int num_heads, int head_dim);

// Bidirectional attention on packed sequences. qkv is [T, 3H] (Q | K | V, heads in order);
// sequence s owns rows offsets[s] .. offsets[s+1]. A query sees keys of its own sequence with
// |q − k| <= window, or all of them when window < 0. out is [T, H]. scratch holds
// scratch_per_thread >= longest sequence floats per thread.
void fc_attention_forward(float *out, const float *qkv, const int32_t *offsets, int n_seqs,
                          int num_heads, int head_dim, int window, float *scratch,
                          int scratch_per_thread);

// In place: s[j] = exp(s[j] − max) for j < width; returns 1 / Σ_j s[j] (exp within 2e-7 of
// expf, eight lanes at a time).
float fc_softmax_unnormalized(float *s, int width);

// The fast attention path (attention_blocked.c): same contract as fc_attention_forward, with
// fc_attention_blocked_scratch_floats(longest sequence, head_dim) floats of scratch per thread.
// With bf16_products, Q·Kᵀ and P·V run in bf16 on AMX where the CPU has it (attention_amx.c;
// softmax in fp32), for models whose dense layers are low precision; in fp32 otherwise.
size_t fc_attention_blocked_scratch_floats(int longest, int head_dim);
void fc_attention_forward_blocked(float *out, const float *qkv, const int32_t *offsets,
                                  int n_seqs, int num_heads, int head_dim, int window,
                                  int bf16_products, float *scratch, size_t scratch_per_thread);

// Full bidirectional attention (no window) with dropout p on the probabilities, the mask drawn
// by fc_dropout_keep under seed (attention_dropout.c). p = 0 is fc_attention_forward with
// window -1. Thread i uses scratch[i · scratch_per_thread ...], scratch_per_thread >=
// fc_attention_dropout_scratch_floats(longest sequence, head_dim).
size_t fc_attention_dropout_scratch_floats(int longest, int head_dim);
void fc_attention_dropout_forward(float *out, const float *qkv, const int32_t *offsets,
                                  int n_seqs, int num_heads, int head_dim, float p, uint64_t seed,
                                  float *scratch, size_t scratch_per_thread);

// tanh in place (BERT's pooler, RoBERTa's classification head).
void fc_tanh_forward(float *x, int n);

#endif
