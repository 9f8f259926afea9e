#include "kernels/cpu/dropout.h"

// splitmix64's finalizer (Steele, Lea & Flood 2014): a bijective mix whose output bits are
// close to independent for consecutive inputs, which is what a counter-based mask needs.
static uint64_t mix(uint64_t z) {
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

// The golden-ratio step between consecutive indices of one mask.
#define INDEX_STEP 0x9e3779b97f4a7c15ULL

static uint32_t drop_threshold(float p) {
    return (uint32_t)((double)p * 16777216.0 + 0.5); // buckets of 2^-24 that are dropped
}

int fc_dropout_keep(uint64_t seed, uint64_t index, float p) {
    uint64_t h = mix(seed + index * INDEX_STEP);
    return (uint32_t)(h >> 40) >= drop_threshold(p);
}

static void apply_mask(float *x, size_t n, float p, uint64_t seed) {
    if (p <= 0.0f) return;
    uint32_t threshold = drop_threshold(p);
    float scale = 1.0f / (1.0f - p);
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < n; i++) {
        uint64_t h = mix(seed + (uint64_t)i * INDEX_STEP);
        x[i] = (uint32_t)(h >> 40) >= threshold ? x[i] * scale : 0.0f;
    }
}

void fc_dropout_forward(float *x, size_t n, float p, uint64_t seed) {
    apply_mask(x, n, p, seed);
}

void fc_dropout_backward(float *dx, size_t n, float p, uint64_t seed) {
    apply_mask(dx, n, p, seed);
}

uint64_t fc_dropout_site_seed(uint64_t step_seed, int layer, int site) {
    return mix(step_seed ^ mix(((uint64_t)(uint32_t)layer << 8) + (uint64_t)(uint32_t)site + 1));
}

uint64_t fc_dropout_seed_at(uint64_t seed, uint64_t first) {
    return seed + first * INDEX_STEP;
}
