#include "tokenizer/added_tokens.h"

#include <stdlib.h>
#include <string.h>

#include "tokenizer/normalizer.h"
#include "tokenizer/utf8.h"
#include "util/alloc.h"
#include "util/error.h"

// The segments of a text grow with it, so their list is of the fallible kind (util/alloc.h).
static int segments_push(fc_segments *s, size_t start, size_t len, int32_t id, fc_error *err) {
    if (len == 0) return 0; // PreTokenizedString::split drops empty pieces
    if (s->len == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 16;
        fc_segment *grown = fc_try_realloc_array(s->items, cap, sizeof *grown);
        if (!grown) return fc_fail_out_of_memory(err, "the added-token split of a text", cap * sizeof *grown);
        s->items = grown;
        s->cap = cap;
    }
    s->items[s->len++] = (fc_segment){start, len, id};
    return 0;
}

void fc_segments_free(fc_segments *segments) {
    free(segments->items);
    memset(segments, 0, sizeof *segments);
}

// A new node, or -1 with err set. The trie grows with the added tokens of the file, so its
// nodes are of the fallible kind (util/alloc.h).
static int32_t trie_new_node(fc_added_matcher *m, unsigned char byte, fc_error *err) {
    if (m->node_count == m->node_cap) {
        int32_t cap = m->node_cap ? m->node_cap * 2 : 64;
        fc_added_trie_node *nodes = fc_try_realloc_array(m->nodes, (size_t)cap, sizeof *nodes);
        if (!nodes) return fc_fail_out_of_memory(err, "the added tokens' trie", (size_t)cap * sizeof *nodes);
        m->nodes = nodes;
        m->node_cap = cap;
    }
    m->nodes[m->node_count] = (fc_added_trie_node){-1, -1, -1, byte};
    return m->node_count++;
}

static int trie_insert(fc_added_matcher *m, const char *pattern, size_t len, int32_t token, fc_error *err) {
    if (m->node_count == 0 && trie_new_node(m, 0, err) < 0) return -1;
    int32_t node = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char b = (unsigned char)pattern[i];
        int32_t child = m->nodes[node].first_child;
        while (child >= 0 && m->nodes[child].byte != b) child = m->nodes[child].next_sibling;
        if (child < 0) {
            child = trie_new_node(m, b, err);
            if (child < 0) return -1;
            m->nodes[child].next_sibling = m->nodes[node].first_child;
            m->nodes[node].first_child = child;
        }
        node = child;
    }
    // Two tokens with the same pattern cannot both win; HF dedups by content, keep the first.
    if (m->nodes[node].token < 0) m->nodes[node].token = token;
    m->starts[(unsigned char)pattern[0]] = 1;
    return 0;
}

// Longest pattern that starts at text[pos]: returns its length (0 for none) and token index.
static size_t trie_longest(const fc_added_matcher *m, const char *text, size_t len, size_t pos,
                           int32_t *token) {
    size_t best = 0;
    int32_t node = 0;
    for (size_t i = pos; i < len; i++) {
        unsigned char b = (unsigned char)text[i];
        int32_t child = m->nodes[node].first_child;
        while (child >= 0 && m->nodes[child].byte != b) child = m->nodes[child].next_sibling;
        if (child < 0) break;
        node = child;
        if (m->nodes[node].token >= 0) {
            best = i + 1 - pos;
            *token = m->nodes[node].token;
        }
    }
    return best;
}

static int json_flag(const cJSON *obj, const char *key, int fallback) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsBool(v) ? cJSON_IsTrue(v) : fallback;
}

int fc_added_tokens_load(fc_added_tokens *added, const cJSON *array,
                         const fc_normalizer *normalizer, const char *path, fc_error *err) {
    memset(added, 0, sizeof *added);
    if (!array || cJSON_IsNull(array)) return 0;
    if (!cJSON_IsArray(array)) return fc_fail(err, "%s: added_tokens is not an array", path);
    // The tokens, then their contents end to end: one block, sized by the file, so allocated
    // fallibly (util/alloc.h) and freed with added->tokens.
    size_t slots = (size_t)cJSON_GetArraySize(array) + 1, text_bytes = 0;
    for (const cJSON *item = array->child; item; item = item->next) {
        const cJSON *content = cJSON_GetObjectItemCaseSensitive(item, "content");
        if (cJSON_IsString(content)) text_bytes += strlen(content->valuestring) + 1;
    }
    size_t block = slots * sizeof *added->tokens + text_bytes;
    added->tokens = fc_try_calloc(block, 1);
    if (!added->tokens) return fc_fail_out_of_memory(err, "the added tokens", block);
    char *text = (char *)(added->tokens + slots);
    size_t index = 0;
    for (const cJSON *item = array->child; item; item = item->next, index++) {
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(item, "id");
        const cJSON *content = cJSON_GetObjectItemCaseSensitive(item, "content");
        if (!cJSON_IsNumber(id) || !cJSON_IsString(content) || id->valuedouble < 0) {
            fc_added_tokens_free(added);
            return fc_fail(err, "%s: added_tokens[%zu] lacks a valid \"id\" or \"content\"", path, index);
        }
        if (content->valuestring[0] == '\0') continue; // HF ignores empty added tokens
        fc_added_token *t = &added->tokens[added->count++];
        size_t content_len = strlen(content->valuestring) + 1;
        t->content = memcpy(text, content->valuestring, content_len);
        text += content_len;
        t->id = (int32_t)id->valuedouble;
        t->single_word = json_flag(item, "single_word", 0);
        t->lstrip = json_flag(item, "lstrip", 0);
        t->rstrip = json_flag(item, "rstrip", 0);
        t->normalized = json_flag(item, "normalized", 1);
        t->special = json_flag(item, "special", 0);
    }
    fc_textbuf pattern = {0};
    for (int32_t i = 0; i < added->count; i++) {
        const fc_added_token *t = &added->tokens[i];
        if (!t->normalized) {
            if (trie_insert(&added->raw, t->content, strlen(t->content), i, err) == 0) continue;
            fc_textbuf_free(&pattern);
            fc_added_tokens_free(added);
            return -1;
        }
        if (fc_normalize(normalizer, t->content, strlen(t->content), &pattern, err)) {
            // Named by id, not content: the content may be the invalid UTF-8 that failed, and
            // it is freed below (issue 14 found a use after free here).
            fc_fail_prefix(err, "%s: added token with id %d", path, (int)t->id);
            fc_textbuf_free(&pattern);
            fc_added_tokens_free(added);
            return -1;
        }
        if (pattern.len && trie_insert(&added->normalized, pattern.data, pattern.len, i, err) != 0) {
            fc_textbuf_free(&pattern);
            fc_added_tokens_free(added);
            return -1;
        }
    }
    fc_textbuf_free(&pattern);
    return 0;
}

void fc_added_tokens_free(fc_added_tokens *added) {
    free(added->tokens); // the contents too (fc_added_tokens_load)
    free(added->raw.nodes);
    free(added->normalized.nodes);
    memset(added, 0, sizeof *added);
}

int32_t fc_added_tokens_find(const fc_added_tokens *added, const char *content) {
    for (int32_t i = 0; i < added->count; i++)
        if (strcmp(added->tokens[i].content, content) == 0) return added->tokens[i].id;
    return -1;
}

const fc_added_token *fc_added_tokens_by_id(const fc_added_tokens *added, int32_t id) {
    for (int32_t i = 0; i < added->count; i++)
        if (added->tokens[i].id == id) return &added->tokens[i];
    return NULL;
}

// Rust regex \w$ on text[0..end).
static int ends_with_word(const char *text, size_t end) {
    if (end == 0) return 0;
    int32_t cp;
    fc_utf8_decode_before(text, end, &cp);
    return fc_unicode_is_word_char(cp);
}

// Rust regex ^\w on text[start..len).
static int starts_with_word(const char *text, size_t start, size_t len) {
    if (start >= len) return 0;
    int32_t cp;
    fc_utf8_decode(text + start, &cp);
    return fc_unicode_is_word_char(cp);
}

// Start of the run of White_Space that ends at text[end] (regex \s*$ on text[0..end)).
static size_t whitespace_run_start(const char *text, size_t end) {
    while (end > 0) {
        int32_t cp;
        int n = fc_utf8_decode_before(text, end, &cp);
        if (!fc_unicode_is_white_space(cp)) break;
        end -= (size_t)n;
    }
    return end;
}

// End of the run of White_Space that starts at text[start] (regex ^\s* on text[start..len)).
static size_t whitespace_run_end(const char *text, size_t start, size_t len) {
    while (start < len) {
        int32_t cp;
        int n = fc_utf8_decode(text + start, &cp);
        if (!fc_unicode_is_white_space(cp)) break;
        start += (size_t)n;
    }
    return start;
}

int fc_added_tokens_split(const fc_added_tokens *added, const fc_added_matcher *matcher,
                          const char *text, size_t len, fc_segments *out, fc_error *err) {
    out->len = 0;
    size_t start_offset = 0; // end of the last emitted piece
    size_t pos = 0;          // where the matcher resumes: the end of the last match
    while (matcher->node_count > 0 && pos < len) {
        if (!matcher->starts[(unsigned char)text[pos]]) {
            pos++;
            continue;
        }
        int32_t token_index = -1;
        size_t match_len = trie_longest(matcher, text, len, pos, &token_index);
        if (match_len == 0) {
            pos++;
            continue;
        }
        size_t start = pos, stop = pos + match_len;
        pos = stop;
        const fc_added_token *t = &added->tokens[token_index];
        // find_matches in added_vocabulary.rs: a single_word token that touches a word
        // character on either side is skipped (the matcher still resumes after it).
        if (t->single_word && (ends_with_word(text, start) || starts_with_word(text, stop, len)))
            continue;
        if (t->lstrip) {
            size_t new_start = whitespace_run_start(text, start);
            start = new_start > start_offset ? new_start : start_offset;
        }
        if (t->rstrip) stop = whitespace_run_end(text, stop, len);
        if (start_offset < start && segments_push(out, start_offset, start - start_offset, -1, err) != 0)
            return -1;
        // As in HF, the token's piece is (start, stop) and the next text piece starts at stop,
        // even in the odd case where an rstrip of the previous token already reached past start.
        if (segments_push(out, start, stop - start, t->id, err) != 0) return -1;
        start_offset = stop;
    }
    if (start_offset < len) return segments_push(out, start_offset, len - start_offset, -1, err);
    return 0;
}
