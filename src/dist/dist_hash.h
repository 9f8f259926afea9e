// A 64-bit hash of bytes, what fc_dist_check_same sends between ranks instead of the bytes.
#ifndef FC_DIST_DIST_HASH_H
#define FC_DIST_DIST_HASH_H

#include <stddef.h>
#include <stdint.h>

uint64_t fc_dist_hash(const void *bytes, size_t n);

#endif
