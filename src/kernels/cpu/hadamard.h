// Hadamard rotation of int8 layers' inputs and weights (issue 15: int8 agreement with fp32).
//
// y = x·Wᵀ = (x·H)·(W·H)ᵀ / b for H block-diagonal with Sylvester Hadamard blocks of order b
// (H·Hᵀ = b·I). Rotating both sides before quantizing spreads a token's few outlying channels
// over the whole block, so the per-token scale is set by the block's energy rather than by its
// largest channel, and the same for the weights' rows. On the shipped model's 740 real pairs
// it halved the mean int8 logit error (0.019 to 0.009, tools/int8_sensitivity.py); the
// butterflies are additions, done in registers while the row is staged.
#ifndef FC_KERNELS_CPU_HADAMARD_H
#define FC_KERNELS_CPU_HADAMARD_H

// The block order for rows of K values: the largest power of two up to 128 that divides K, or
// 0 (no rotation) when that is below 16.
int fc_hadamard_block(int K);

// y = x·H for one row of K values (K a multiple of block, block a power of two ≥ 8), H's
// blocks unnormalized (entries ±1): butterflies (a, b) → (a + b, a − b) from stride 1 up, so
// the result is the same bits whichever way it is computed. y may be x.
void fc_hadamard_rotate(float *y, const float *x, int K, int block);

#endif
