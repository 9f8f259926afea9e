// The BPE model of tokenizer.json ("model": {"type": "BPE", ...}), as tokenizers' models/bpe
// runs it (model-reference 5.2): each word starts as one symbol per character, then the adjacent
// pair with the lowest merge rank is merged, leftmost first on equal ranks, until no pair merges.
#ifndef FC_TOKENIZER_BPE_H
#define FC_TOKENIZER_BPE_H

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>

#include "finecat.h"
#include "tokenizer/strmap.h"

typedef struct fc_bpe_merge_slot {
    uint64_t pair; // (left id << 32) | right id
    uint32_t rank; // index in the merges list
    int32_t new_id;
    int used;
} fc_bpe_merge_slot;

typedef struct fc_bpe {
    fc_strmap vocab;          // token text -> id
    char **id_to_token;       // id -> token text (NULL for ids the vocab lacks); one block (vocab.h)
    int32_t id_count;         // max id + 1
    fc_bpe_merge_slot *merges; // open-addressing map of pair -> (rank, new id)
    size_t merges_cap;
    size_t merge_count;
    int32_t small_char_ids[0x800]; // ids of the one-character tokens below U+0800, or -1
    unsigned char *merges_to_itself; // per id: 1 when BPE of the token's own text gives just it
    int ignore_merges;        // a word that is itself in the vocab is emitted as is
    int32_t unk_id;           // -1 when there is no unk_token
    int fuse_unk;
} fc_bpe;

// Per-call working memory (symbols and the merge queue), reused across words.
typedef struct fc_bpe_scratch {
    void *symbols;
    size_t symbols_cap;
    void *queue;
    size_t queue_cap;
} fc_bpe_scratch;

// Reads vocab and merges ("a b" strings or ["a", "b"] arrays) from the model object. path names
// the file in error messages.
int fc_bpe_load(fc_bpe *bpe, const cJSON *model, const char *path, fc_error *err);
void fc_bpe_free(fc_bpe *bpe);

// Appends the ids of one pre-tokenized word (in the model's alphabet, e.g. byte-level text).
// out and scratch grow fallibly, so this fails only when memory runs out (out may then hold
// part of the word's ids).
int fc_bpe_encode_word(const fc_bpe *bpe, const char *word, size_t len, fc_ids *out,
                       fc_bpe_scratch *scratch, fc_error *err);
void fc_bpe_scratch_free(fc_bpe_scratch *scratch);

int32_t fc_bpe_token_to_id(const fc_bpe *bpe, const char *token, size_t len);
const char *fc_bpe_id_to_token(const fc_bpe *bpe, int32_t id);

#endif
