// The Unigram model (tokenizer.json "model": {"type": "Unigram", ...}, or the pieces of a
// SentencePiece spm.model), as tokenizers' models/unigram/model.rs runs it (model-reference 5.3,
// pitfall P17):
// - Viterbi over the bytes of a word: at each character boundary, every vocabulary piece that
//   is a prefix of the rest (shortest first) offers best(start) + score; it replaces the best
//   path ending where the piece ends only when strictly greater, so on ties the path found
//   first (the earlier start) stays.
// - Where no piece of exactly one character starts, an [UNK] edge covers that character with
//   score (lowest score of the vocabulary) - 10.
// - Backtracking fuses consecutive [UNK]s into one token; its text is looked up in the
//   vocabulary (a miss gives unk_id, or the <0xXX> byte pieces when byte_fallback is set).
// Scores are doubles, as in tokenizers (an spm.model float widens exactly).
#ifndef FC_TOKENIZER_UNIGRAM_H
#define FC_TOKENIZER_UNIGRAM_H

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>

#include "finecat.h"
#include "tokenizer/spm_model.h"
#include "tokenizer/strmap.h"

// A byte trie of the pieces in compressed form, nodes numbered breadth first (node 0 is the
// root): node i's children are the edges [edge_begin[i], edge_begin[i + 1]), sorted by byte;
// the root's are also in root_child.
typedef struct fc_unigram_trie {
    int32_t *node_piece;   // id of the piece that ends at the node, or -1
    uint32_t *edge_begin;  // node_count + 1 entries
    unsigned char *edge_byte;
    uint32_t *edge_child;
    uint32_t node_count;
    int32_t root_child[256]; // -1 where no piece starts with the byte
} fc_unigram_trie;

typedef struct fc_unigram {
    int32_t piece_count;
    char **pieces;    // id -> text (NUL-terminated; an spm.model piece may hold a NUL); one
                      // block with the texts
    uint32_t *piece_len;
    double *scores;
    fc_strmap vocab;  // text -> id (the last of duplicate texts wins, as HashMap::insert)
    fc_unigram_trie trie;
    int32_t unk_id;   // -1 when the model has none
    double unk_score; // min score - 10 (K_UNK_PENALTY)
    int byte_fallback;
    int32_t byte_ids[256]; // ids of <0x00>..<0xFF>, -1 where absent (byte_fallback only)
} fc_unigram;

typedef struct fc_unigram_scratch {
    double *score;      // best path score ending at each byte
    int32_t *start;     // where that best path's last token starts (-1: not reached)
    int32_t *id;        // that token's id
    size_t cap;
    int32_t *tokens;    // backtracked token ends, last first
} fc_unigram_scratch;

// From tokenizer.json's model object: "vocab" ([[piece, score], ...]), "unk_id" (number or
// null), "byte_fallback".
int fc_unigram_load_json(fc_unigram *model, const cJSON *json, const char *path, fc_error *err);
// From the pieces of an spm.model, as HF's SpmConverter builds it (byte_fallback off, as
// DebertaV2Converter leaves it).
int fc_unigram_load_spm(fc_unigram *model, const fc_spm_model *spm, const char *path, fc_error *err);
void fc_unigram_free(fc_unigram *model);

// Appends the ids of one pre-tokenized word. Fails when a character is unknown and the model
// has no unk_id (tokenizers' MissingUnkId), and when memory runs out (out and scratch grow
// fallibly; out may then hold part of the word's ids).
int fc_unigram_encode_word(const fc_unigram *model, const char *word, size_t len, fc_ids *out,
                           fc_unigram_scratch *scratch, fc_error *err);
void fc_unigram_scratch_free(fc_unigram_scratch *scratch);

int32_t fc_unigram_token_to_id(const fc_unigram *model, const char *token, size_t len);
const char *fc_unigram_id_to_token(const fc_unigram *model, int32_t id);

#endif
