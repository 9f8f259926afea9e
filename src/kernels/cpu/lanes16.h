// The mask of a 16-lane AVX-512 step at element i of a row of width elements: every lane, or
// the ones below width for the row's tail. The AVX-512 kernels run their tails through masked
// loads and stores with it instead of a scalar loop (callers carry the avx512f target; isa.h).
#ifndef FC_KERNELS_CPU_LANES16_H
#define FC_KERNELS_CPU_LANES16_H

#include <immintrin.h>

__attribute__((target("avx512f"))) static inline __mmask16 fc_lanes_below(int i, int width) {
    int left = width - i;
    return left >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << left) - 1u);
}

#endif
