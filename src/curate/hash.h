// 64-bit hashes for curation: the keys of the dedupe and id tables, the fingerprints of inputs
// in resumable runs, and the seeded per-row draws of select.
//
// FNV-1a over the bytes, then the splitmix64 finalizer: FNV alone mixes its last bytes poorly
// into the high bits, which the open-addressing tables use for their slot. The tokenizer's
// fc_hash_bytes (tokenizer/strmap.h) is the same idea without a seed or a streaming form, which
// the fingerprints (many pieces) and select (a seed) need. Where a hash stands
// for a text (the tables), the text is compared on a hash match, so collisions cost time only.
#ifndef FC_CURATE_HASH_H
#define FC_CURATE_HASH_H

#include <stddef.h>
#include <stdint.h>

// The splitmix64 finalizer (Steele, Lea and Flood, 2014): a bijection on 64-bit values.
uint64_t fc_curate_hash_mix(uint64_t x);

// Streaming FNV-1a: start from fc_curate_hash_begin(seed), feed bytes, end with fc_curate_hash_end.
uint64_t fc_curate_hash_begin(uint64_t seed);
uint64_t fc_curate_hash_update(uint64_t state, const void *bytes, size_t length);
uint64_t fc_curate_hash_end(uint64_t state);

// One call: fc_curate_hash_end(fc_curate_hash_update(fc_curate_hash_begin(seed), bytes, length)).
uint64_t fc_curate_hash_bytes(const void *bytes, size_t length, uint64_t seed);

#endif
