// Added tokens (tokenizer.json "added_tokens"), extracted before the model runs, as
// tokenizers' added_vocabulary.rs does (model-reference 5.1 steps 1 and 3): tokens with
// "normalized": false are found in the raw text, the others in each normalized piece, both
// leftmost-longest (Aho-Corasick MatchKind::LeftmostLongest), with the lstrip / rstrip /
// single_word rules applied to each match.
#ifndef FC_TOKENIZER_ADDED_TOKENS_H
#define FC_TOKENIZER_ADDED_TOKENS_H

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>

#include "finecat.h"

typedef struct fc_added_token {
    char *content; // as in tokenizer.json; in the block of fc_added_tokens.tokens
    int32_t id;
    int single_word, lstrip, rstrip, normalized, special;
} fc_added_token;

// A byte trie over the contents of one group of added tokens.
typedef struct fc_added_trie_node {
    int32_t first_child, next_sibling;
    int32_t token; // index into fc_added_tokens.tokens of the token ending here, or -1
    unsigned char byte;
} fc_added_trie_node;

typedef struct fc_added_matcher {
    fc_added_trie_node *nodes; // node 0 is the root
    int32_t node_count, node_cap;
    unsigned char starts[256]; // 1 for bytes that begin some pattern
} fc_added_matcher;

typedef struct fc_added_tokens {
    fc_added_token *tokens;
    int32_t count;
    fc_added_matcher raw;        // "normalized": false, matched in the raw text
    fc_added_matcher normalized; // "normalized": true, matched after the normalizer
} fc_added_tokens;

// A piece of text: either an added token (id >= 0) or text still to tokenize (id = -1).
typedef struct fc_segment {
    size_t start, len;
    int32_t id;
} fc_segment;

typedef struct fc_segments {
    fc_segment *items;
    size_t len, cap;
} fc_segments;

struct fc_normalizer;

// Reads "added_tokens" (absent or null means none). Contents of normalized tokens are matched
// in their normalized form, so the normalizer is applied to them here.
int fc_added_tokens_load(fc_added_tokens *added, const cJSON *array,
                         const struct fc_normalizer *normalizer, const char *path, fc_error *err);
void fc_added_tokens_free(fc_added_tokens *added);

// Splits text into segments with the given matcher (replaces out's contents). Empty pieces are
// left out, as PreTokenizedString::split drops them. Fails only for memory (out then holds
// part of the split).
int fc_added_tokens_split(const fc_added_tokens *added, const fc_added_matcher *matcher,
                          const char *text, size_t len, fc_segments *out, fc_error *err);

// Id of an added token by content, or -1.
int32_t fc_added_tokens_find(const fc_added_tokens *added, const char *content);
const fc_added_token *fc_added_tokens_by_id(const fc_added_tokens *added, int32_t id);

void fc_segments_free(fc_segments *segments);

#endif
