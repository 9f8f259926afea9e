// The hash fc_dist_check_same compares: shared by both implementations.
#include "dist/dist_hash.h"

// FNV-1a (64-bit): the bytes are options and file fingerprints, not adversarial input.
uint64_t fc_dist_hash(const void *bytes, size_t n) {
    const unsigned char *p = bytes;
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 0x100000001b3ULL;
    return h;
}
