// The "vocab" object of a BPE or WordPiece model in tokenizer.json ({"token": id, ...}): the
// text-to-id map and the id-to-text table both models keep.
#ifndef FC_TOKENIZER_VOCAB_H
#define FC_TOKENIZER_VOCAB_H

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>

#include "finecat.h"
#include "tokenizer/strmap.h"

// Ids above this are refused: the id table is as long as the largest id, and no published
// vocabulary comes near 2^24 (a hostile id of 2^31 - 1 once overflowed the count, issue 14).
#define FC_VOCAB_MAX_ID 16777215

// Fills map (text -> id), *id_to_token (id -> text, NULL where no token has the id, one entry
// past the end) and *id_count (largest id + 1); *longest gets the longest token's bytes (may
// be NULL). The table and every text it points to are one block, released by
// free(*id_to_token): sized by the file, it is allocated fallibly, as the map is, so that
// running out of memory is an error saying so. Other errors name path and the entry.
int fc_vocab_load(const cJSON *vocab, const char *path, fc_strmap *map, char ***id_to_token,
                  int32_t *id_count, size_t *longest, fc_error *err);

#endif
