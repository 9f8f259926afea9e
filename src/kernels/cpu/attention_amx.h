// The blocked attention's per-head work with Q·Kᵀ and P·V on AMX in bf16 (attention_amx.c),
// for models whose dense layers run in low precision (`--dtype bf16`, `int8`).
#ifndef FC_KERNELS_CPU_ATTENTION_AMX_H
#define FC_KERNELS_CPU_ATTENTION_AMX_H

#include <stddef.h>

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

#endif
