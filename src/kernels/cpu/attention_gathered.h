// What the blocked attention's two per-head paths share (attention_blocked.c: AVX2, the driver;
// attention_avx512.c: AVX-512): the head's keys gathered transposed ([d, n_pad]) and its values
// as rows ([n, d]), queries scored FC_QUERY_GROUP at a time, and the padding of a head's keys.
#ifndef FC_KERNELS_CPU_ATTENTION_GATHERED_H
#define FC_KERNELS_CPU_ATTENTION_GATHERED_H

#include <stddef.h>

// Queries scored together: each key vector loaded is used by this many queries, and their
// sums are independent chains of multiply-adds that hide each other's latency.
enum { FC_QUERY_GROUP = 4 };

// Keys are stored transposed with rows padded to a multiple of 16, so that the score loops can
// always read whole vectors of keys (the extra lanes are computed and dropped).
static inline int fc_attention_padded(int n) {
    return (n + 15) / 16 * 16;
}

// Whether the AVX-512 path runs: fc_cpu_avx512_usable (isa.h), and a head size it holds in
// registers (32, 64).
int fc_attention_avx512_usable(int head_dim);

// One (sequence, head) after the gather: out rows [begin, begin + n) of head h. scores holds
// FC_QUERY_GROUP · n_pad + FC_QUERY_GROUP · head_dim floats.
void fc_attend_gathered_avx512(float *out, const float *qkv, int begin, int n, int h,
                               int num_heads, int head_dim, int window, const float *keys,
                               const float *values, float *scores);

#endif
