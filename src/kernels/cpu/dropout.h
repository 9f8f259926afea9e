// Dropout for training (BERT configs train with hidden_dropout_prob and
// attention_probs_dropout_prob 0.1). The mask is a pure function of (seed, element index): a
// counter-based hash instead of a stateful stream, so that the backward regenerates exactly the
// forward's mask rather than storing it (attention probabilities alone would need
// heads · T · longest bytes per layer), and any thread count draws the same mask.
#ifndef FC_KERNELS_CPU_DROPOUT_H
#define FC_KERNELS_CPU_DROPOUT_H

#include <stddef.h>
#include <stdint.h>

// 1 when element `index` survives dropout with probability p under `seed`, else 0. Exactly a
// fraction 1 - p of the 2^24 hash buckets survive (p is rounded to a multiple of 2^-24).
int fc_dropout_keep(uint64_t seed, uint64_t index, float p);

// x[i] = keep(seed, i) ? x[i] / (1 - p) : 0, in place, as torch.nn.functional.dropout in
// training mode. p <= 0 leaves x as it is.
void fc_dropout_forward(float *x, size_t n, float p, uint64_t seed);

// The backward is the same map applied to the gradient: dx[i] = keep ? dy[i] / (1 - p) : 0.
void fc_dropout_backward(float *dx, size_t n, float p, uint64_t seed);

// A seed for one dropout site: the step's seed, the layer and the site within the layer, mixed
// so that sites draw unrelated masks.
uint64_t fc_dropout_site_seed(uint64_t step_seed, int layer, int site);

// The seed whose mask at index i is seed's mask at index first + i (the hash takes
// seed + index · constant, so shifting the seed shifts the index). A share of a batch (one
// rank's rows in data-parallel training) thus draws the masks the whole batch draws there.
uint64_t fc_dropout_seed_at(uint64_t seed, uint64_t first);

#endif
