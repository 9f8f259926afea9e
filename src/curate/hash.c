#include "curate/hash.h"

// FNV-1a 64-bit parameters (Fowler, Noll and Vo; the offset basis and prime of the reference).
static const uint64_t fnv_offset_basis = 0xcbf29ce484222325ull;
static const uint64_t fnv_prime = 0x100000001b3ull;

uint64_t fc_curate_hash_mix(uint64_t x) {
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebull;
    x ^= x >> 31;
    return x;
}

uint64_t fc_curate_hash_begin(uint64_t seed) {
    // A seed of 0 keeps the plain FNV start; other seeds move it through the mixer so that
    // nearby seeds give unrelated streams.
    return seed ? fnv_offset_basis ^ fc_curate_hash_mix(seed) : fnv_offset_basis;
}

uint64_t fc_curate_hash_update(uint64_t state, const void *bytes, size_t length) {
    const unsigned char *p = bytes;
    for (size_t i = 0; i < length; i++) {
        state ^= p[i];
        state *= fnv_prime;
    }
    return state;
}

uint64_t fc_curate_hash_end(uint64_t state) {
    return fc_curate_hash_mix(state);
}

uint64_t fc_curate_hash_bytes(const void *bytes, size_t length, uint64_t seed) {
    return fc_curate_hash_end(fc_curate_hash_update(fc_curate_hash_begin(seed), bytes, length));
}
