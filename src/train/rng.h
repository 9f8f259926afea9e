// The trainer's own pseudo-random numbers, so that a seed gives the same run on every machine
// and libc: splitmix64 to expand a seed, xoshiro256** for the stream (Blackman & Vigna,
// https://prng.di.unimi.it/). The whole state is four words, saved in checkpoints.
#ifndef FC_TRAIN_RNG_H
#define FC_TRAIN_RNG_H

#include <stdint.h>

typedef struct fc_rng {
    uint64_t s[4];
} fc_rng;

// Seeds the four words from splitmix64(seed), as the xoshiro authors recommend.
void fc_rng_seed(fc_rng *rng, uint64_t seed);
uint64_t fc_rng_next(fc_rng *rng);
// Uniform in [0, 1) with 53 random bits.
double fc_rng_uniform(fc_rng *rng);
// Uniform integer in [0, n), without modulo bias (n > 0).
uint64_t fc_rng_below(fc_rng *rng, uint64_t n);
// Standard normal (Box-Muller; one value per call, the pair's second is not kept so that the
// state alone determines the stream).
double fc_rng_normal(fc_rng *rng);
// Normal(0, std) truncated to [−cutoff·std, cutoff·std] by resampling, the distribution of
// torch.nn.init.trunc_normal_(mean=0, std, a=−cutoff·std, b=cutoff·std).
double fc_rng_trunc_normal(fc_rng *rng, double std, double cutoff);

#endif
