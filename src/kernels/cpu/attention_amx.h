// The blocked attention's per-head work with Q·Kᵀ and P·V on AMX in bf16 (attention_amx.c),
// for models whose dense layers run in low precision (`--dtype bf16`, `int8`).
#ifndef FC_KERNELS_CPU_ATTENTION_AMX_H
#define FC_KERNELS_CPU_ATTENTION_AMX_H

#include <stddef.h>
#include <stdint.h>

// Whether it runs here: fc_cpu_amx_usable (isa.h) and a head size of 32 or 64.
int fc_attention_amx_usable(int head_dim);

// Scratch bytes one thread needs for a sequence of up to longest tokens.
size_t fc_attention_amx_scratch_bytes(int longest, int head_dim);

// A thread's tiles: configured before its first head, released after its last (configuring
// them for every head cost more than the products).
void fc_attention_amx_enter(void);
void fc_attention_amx_leave(void);

// One (sequence, head), between enter and leave on the calling thread: out rows
// [begin, begin + n) of head h from qkv ([T, 3H]), queries seeing keys with |q − k| <= window
// (all when window < 0).
void fc_attend_head_amx(float *out, const float *qkv, int begin, int n, int h, int num_heads,
                        int head_dim, int window, void *scratch);

// DeBERTa's relative positions for one (sequence, head): Kr and Qr rows (either may be NULL)
// at the head's columns, rows `stride` floats apart, holding position rows first ..
// first + width − 1; index[r] (r from −(n − 1) to n − 1) is the row of distance r.
typedef struct fc_deberta_positions {
    const float *keys, *queries;
    size_t stride;
    int first, width;
    const int32_t *index;
} fc_deberta_positions;

// Scratch bytes one thread needs for DeBERTa sequences of up to longest tokens reaching up to
// width position rows.
size_t fc_deberta_attention_amx_scratch_bytes(int longest, int width, int head_dim);

// DeBERTa's disentangled attention for one (sequence, head) between enter and leave: Q·Kᵀ,
// C2P = Q·Krᵀ, P2C = K·Qrᵀ and P·V on the tiles in bf16 with fp32 sums, the scores
// (Q·Kᵀ + C2P + P2C) / scale and their softmax in fp32, P rounded to bf16. q, k, v and out
// point at the sequence's first row and the head's first column, rows `stride` floats apart;
// pos NULL: plain attention.
void fc_deberta_attend_head_amx(float *out, const float *q, const float *k, const float *v,
                                size_t stride, int n, int head_dim, float scale,
                                const fc_deberta_positions *pos, void *scratch);

#endif
