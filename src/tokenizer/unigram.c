#include "tokenizer/unigram.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tokenizer/textbuf.h"
#include "tokenizer/utf8.h"
#include "util/alloc.h"
#include "util/error.h"
#include "util/ids.h"

// tokenizers models/unigram/model.rs: K_UNK_PENALTY.
static const double unk_penalty = 10.0;

// --- the trie ----------------------------------------------------------------------------------

// The trie while it is built: an open-addressing map (node, byte) -> child, so that adding a
// piece costs one probe per byte whatever the fan-out (the root and the node of "▁" have
// hundreds of children). Node 0 is the root.
typedef struct trie_builder {
    uint64_t *keys; // (node << 8 | byte) + 1; 0 marks a free slot
    int32_t *children;
    size_t cap;
    int32_t *node_piece;
    size_t node_count, node_cap;
} trie_builder;

static uint64_t mix(uint64_t x) {
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    return x;
}

// Every array of the builder and of the trie is sized by the vocabulary, so all of them are
// allocated fallibly (util/alloc.h); a failure leaves what was built for the caller to free.
static int builder_init(trie_builder *b, size_t expected_nodes, fc_error *err) {
    memset(b, 0, sizeof *b);
    size_t cap = 16;
    while (cap < expected_nodes * 2) cap *= 2;
    b->keys = fc_try_calloc(cap, sizeof *b->keys);
    b->children = fc_try_calloc(cap, sizeof *b->children);
    b->node_piece = fc_try_calloc(expected_nodes + 1, sizeof *b->node_piece);
    if (!b->keys || !b->children || !b->node_piece)
        return fc_fail_out_of_memory(err, "the Unigram trie", cap * (sizeof *b->keys + sizeof *b->children) +
                                                                  (expected_nodes + 1) * sizeof *b->node_piece);
    b->cap = cap;
    b->node_cap = expected_nodes + 1;
    b->node_piece[0] = -1;
    b->node_count = 1;
    return 0;
}

static size_t builder_slot(const trie_builder *b, uint64_t key) {
    size_t slot = (size_t)mix(key) & (b->cap - 1);
    while (b->keys[slot] && b->keys[slot] != key) slot = (slot + 1) & (b->cap - 1);
    return slot;
}

// Doubles the map when it is half full (each node but the root is one entry).
static int builder_grow(trie_builder *b, fc_error *err) {
    size_t cap = b->cap * 2;
    uint64_t *keys = fc_try_calloc(cap, sizeof *keys);
    int32_t *children = fc_try_calloc(cap, sizeof *children);
    if (!keys || !children) {
        free(keys);
        free(children);
        return fc_fail_out_of_memory(err, "the Unigram trie", cap * (sizeof *keys + sizeof *children));
    }
    uint64_t *old_keys = b->keys;
    int32_t *old_children = b->children;
    size_t old_cap = b->cap;
    b->keys = keys;
    b->children = children;
    b->cap = cap;
    for (size_t s = 0; s < old_cap; s++) {
        if (!old_keys[s]) continue;
        size_t slot = builder_slot(b, old_keys[s]);
        b->keys[slot] = old_keys[s];
        b->children[slot] = old_children[s];
    }
    free(old_keys);
    free(old_children);
    return 0;
}

static void builder_free(trie_builder *b) {
    free(b->keys);
    free(b->children);
    free(b->node_piece);
}

static int builder_insert(trie_builder *b, const char *piece, size_t len, int32_t id, fc_error *err) {
    int32_t node = 0;
    for (size_t i = 0; i < len; i++) {
        uint64_t key = ((uint64_t)node << 8 | (unsigned char)piece[i]) + 1;
        size_t slot = builder_slot(b, key);
        if (!b->keys[slot]) {
            if (b->node_count * 2 >= b->cap) {
                if (builder_grow(b, err) != 0) return -1;
                slot = builder_slot(b, key);
            }
            if (b->node_count == b->node_cap) {
                int32_t *grown = fc_try_realloc_array(b->node_piece, b->node_cap * 2, sizeof *grown);
                if (!grown) return fc_fail_out_of_memory(err, "the Unigram trie", b->node_cap * 2 * sizeof *grown);
                b->node_piece = grown;
                b->node_cap *= 2;
            }
            b->keys[slot] = key;
            b->children[slot] = (int32_t)b->node_count;
            b->node_piece[b->node_count++] = -1;
        }
        node = b->children[slot];
    }
    // A text listed twice maps to its last id, as token_to_ids (a HashMap filled in order) does.
    b->node_piece[node] = id;
    return 0;
}

// Renumbers the nodes breadth first, so that the short prefixes every word starts with sit
// together in memory (the builder numbers nodes in piece order, which scatters them).
static int breadth_first(fc_unigram_trie *t, fc_error *err) {
    size_t n = t->node_count, edges = n > 1 ? n - 1 : 1;
    uint32_t *order = fc_try_calloc(n, sizeof *order); // new number -> old
    uint32_t *begin = fc_try_calloc(n + 1, sizeof *begin);
    unsigned char *bytes = fc_try_calloc(edges, sizeof *bytes);
    uint32_t *children = fc_try_calloc(edges, sizeof *children);
    int32_t *piece = fc_try_calloc(n, sizeof *piece);
    if (!order || !begin || !bytes || !children || !piece) {
        free(order);
        free(begin);
        free(bytes);
        free(children);
        free(piece);
        return fc_fail_out_of_memory(err, "the Unigram trie", (3 * n + 1) * 4 + edges * 5);
    }
    size_t queued = 1, e = 0;
    order[0] = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t old = order[i];
        piece[i] = t->node_piece[old];
        begin[i] = (uint32_t)e;
        for (uint32_t k = t->edge_begin[old]; k < t->edge_begin[old + 1]; k++) {
            bytes[e] = t->edge_byte[k];
            children[e++] = (uint32_t)queued;
            order[queued++] = t->edge_child[k];
        }
    }
    begin[n] = (uint32_t)e;
    free(order);
    free(t->node_piece);
    free(t->edge_begin);
    free(t->edge_byte);
    free(t->edge_child);
    t->node_piece = piece;
    t->edge_begin = begin;
    t->edge_byte = bytes;
    t->edge_child = children;
    return 0;
}

// Lays the edges out per node (CSR), each node's sorted by byte, nodes breadth first.
static int trie_compress(fc_unigram_trie *t, const trie_builder *b, fc_error *err) {
    size_t n = b->node_count, edges = n > 1 ? n - 1 : 1;
    t->node_count = (uint32_t)n;
    t->node_piece = fc_try_calloc(n, sizeof *t->node_piece);
    t->edge_begin = fc_try_calloc(n + 1, sizeof *t->edge_begin);
    t->edge_byte = fc_try_calloc(edges, sizeof *t->edge_byte);
    t->edge_child = fc_try_calloc(edges, sizeof *t->edge_child);
    uint32_t *cursor = fc_try_calloc(n, sizeof *cursor);
    if (!t->node_piece || !t->edge_begin || !t->edge_byte || !t->edge_child || !cursor) {
        free(cursor); // the trie's arrays are the caller's to free (trie_free)
        return fc_fail_out_of_memory(err, "the Unigram trie", (3 * n + 1) * 4 + edges * 5);
    }
    memcpy(t->node_piece, b->node_piece, n * sizeof *t->node_piece);
    for (size_t s = 0; s < b->cap; s++)
        if (b->keys[s]) t->edge_begin[((b->keys[s] - 1) >> 8) + 1]++;
    for (size_t i = 0; i < n; i++) t->edge_begin[i + 1] += t->edge_begin[i];
    memcpy(cursor, t->edge_begin, n * sizeof *cursor);
    for (size_t s = 0; s < b->cap; s++) {
        if (!b->keys[s]) continue;
        size_t parent = (size_t)((b->keys[s] - 1) >> 8);
        uint32_t e = cursor[parent]++;
        t->edge_byte[e] = (unsigned char)((b->keys[s] - 1) & 0xFF);
        t->edge_child[e] = (uint32_t)b->children[s];
    }
    free(cursor);
    for (size_t i = 0; i < n; i++) { // insertion sort: most nodes have a handful of children
        for (uint32_t e = t->edge_begin[i] + 1; e < t->edge_begin[i + 1]; e++) {
            unsigned char byte = t->edge_byte[e];
            uint32_t child = t->edge_child[e], k = e;
            while (k > t->edge_begin[i] && t->edge_byte[k - 1] > byte) {
                t->edge_byte[k] = t->edge_byte[k - 1];
                t->edge_child[k] = t->edge_child[k - 1];
                k--;
            }
            t->edge_byte[k] = byte;
            t->edge_child[k] = child;
        }
    }
    if (breadth_first(t, err) != 0) return -1;
    for (int c = 0; c < 256; c++) t->root_child[c] = -1;
    for (uint32_t e = t->edge_begin[0]; e < t->edge_begin[1]; e++) t->root_child[t->edge_byte[e]] = (int32_t)t->edge_child[e];
    return 0;
}

static int32_t trie_child(const fc_unigram_trie *t, uint32_t node, unsigned char c) {
    uint32_t lo = t->edge_begin[node], hi = t->edge_begin[node + 1];
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (t->edge_byte[mid] < c)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < t->edge_begin[node + 1] && t->edge_byte[lo] == c ? (int32_t)t->edge_child[lo] : -1;
}

static void trie_free(fc_unigram_trie *t) {
    free(t->node_piece);
    free(t->edge_begin);
    free(t->edge_byte);
    free(t->edge_child);
    memset(t, 0, sizeof *t);
}

// --- loading -----------------------------------------------------------------------------------

// Piece id's text is copied to *cursor (in the block after the piece pointers, see allocate),
// which then moves past it.
static int add_piece(fc_unigram *m, int32_t id, const char *text, size_t len, double score, char **cursor,
                     fc_error *err) {
    m->pieces[id] = *cursor;
    memcpy(*cursor, text, len);
    (*cursor)[len] = '\0';
    *cursor += len + 1;
    m->piece_len[id] = (uint32_t)len;
    m->scores[id] = score;
    return fc_strmap_put(&m->vocab, text, len, id, err);
}

// Everything that follows from the pieces: the trie, the unk score, the byte pieces.
static int finish(fc_unigram *m, int32_t unk_id, const char *path, fc_error *err) {
    if (m->piece_count == 0) return fc_fail(err, "%s: the Unigram vocabulary is empty", path);
    if (unk_id >= m->piece_count)
        return fc_fail(err, "%s: unk_id %d is not in the vocabulary (%d pieces)", path, unk_id, m->piece_count);
    m->unk_id = unk_id;
    double min_score = m->scores[0];
    for (int32_t i = 1; i < m->piece_count; i++)
        if (m->scores[i] < min_score) min_score = m->scores[i];
    m->unk_score = min_score - unk_penalty;
    trie_builder b;
    // 4 nodes a piece: about the node count of real vocabularies.
    int rc = builder_init(&b, 4 * (size_t)m->piece_count, err);
    for (int32_t i = 0; i < m->piece_count && rc == 0; i++)
        if (m->piece_len[i]) rc = builder_insert(&b, m->pieces[i], m->piece_len[i], i, err);
    if (rc == 0) rc = trie_compress(&m->trie, &b, err);
    builder_free(&b);
    if (rc) return -1;
    for (int byte = 0; byte < 256; byte++) {
        char name[8];
        snprintf(name, sizeof name, "<0x%02X>", byte);
        m->byte_ids[byte] = fc_strmap_get(&m->vocab, name, strlen(name));
    }
    return 0;
}

// The arrays of count pieces whose texts take text_bytes with their NULs. The piece pointers
// and the texts are one block (freed with m->pieces); *cursor is where the first text goes.
// All of it is sized by the file, so allocated fallibly (util/alloc.h).
static int allocate(fc_unigram *m, int32_t count, size_t text_bytes, char **cursor, fc_error *err) {
    memset(m, 0, sizeof *m);
    size_t slots = (size_t)count + 1, block = slots * sizeof(char *) + text_bytes;
    m->pieces = fc_try_calloc(block, 1);
    m->scores = fc_try_calloc(slots, sizeof *m->scores);
    m->piece_len = fc_try_calloc(slots, sizeof *m->piece_len);
    if (!m->pieces || !m->scores || !m->piece_len)
        return fc_fail_out_of_memory(err, "the Unigram pieces", block + slots * (sizeof *m->scores + 4));
    m->piece_count = count;
    *cursor = (char *)(m->pieces + slots);
    return fc_strmap_init(&m->vocab, (size_t)count, text_bytes, err);
}

int fc_unigram_load_json(fc_unigram *m, const cJSON *json, const char *path, fc_error *err) {
    const cJSON *vocab = cJSON_GetObjectItemCaseSensitive(json, "vocab");
    if (!cJSON_IsArray(vocab)) {
        memset(m, 0, sizeof *m);
        return fc_fail(err, "%s: model.vocab is missing or not a list of [piece, score]", path);
    }
    size_t text_bytes = 0;
    for (const cJSON *item = vocab->child; item; item = item->next) {
        const cJSON *text = cJSON_GetArrayItem(item, 0);
        if (cJSON_IsString(text)) text_bytes += strlen(text->valuestring) + 1;
    }
    char *cursor;
    if (allocate(m, cJSON_GetArraySize(vocab), text_bytes, &cursor, err) != 0) {
        fc_unigram_free(m);
        return -1;
    }
    int32_t id = 0;
    for (const cJSON *item = vocab->child; item; item = item->next, id++) {
        const cJSON *text = cJSON_GetArrayItem(item, 0), *score = cJSON_GetArrayItem(item, 1);
        if (!cJSON_IsArray(item) || cJSON_GetArraySize(item) != 2 || !cJSON_IsString(text) ||
            !cJSON_IsNumber(score)) {
            fc_unigram_free(m);
            return fc_fail(err, "%s: model.vocab[%d] is not [piece, score]", path, id);
        }
        if (add_piece(m, id, text->valuestring, strlen(text->valuestring), score->valuedouble, &cursor, err)) {
            fc_unigram_free(m);
            return -1;
        }
    }
    const cJSON *unk = cJSON_GetObjectItemCaseSensitive(json, "unk_id");
    int32_t unk_id = -1;
    if (unk && !cJSON_IsNull(unk)) {
        if (!cJSON_IsNumber(unk) || unk->valuedouble < 0 || unk->valuedouble > 2147483647.0) {
            fc_unigram_free(m);
            return fc_fail(err, "%s: model.unk_id is not a valid id", path);
        }
        unk_id = (int32_t)unk->valuedouble;
    }
    const cJSON *bf = cJSON_GetObjectItemCaseSensitive(json, "byte_fallback");
    int rc = finish(m, unk_id, path, err);
    m->byte_fallback = cJSON_IsTrue(bf);
    if (rc) fc_unigram_free(m);
    return rc;
}

int fc_unigram_load_spm(fc_unigram *m, const fc_spm_model *spm, const char *path, fc_error *err) {
    if (spm->model_type != FC_SPM_MODEL_UNIGRAM) {
        memset(m, 0, sizeof *m);
        return fc_fail(err, "%s: SentencePiece model_type %d is not supported (supported: 1, Unigram)",
                       path, spm->model_type);
    }
    size_t text_bytes = 0;
    for (int32_t i = 0; i < spm->piece_count; i++) text_bytes += spm->piece_len[i] + 1;
    char *cursor;
    int rc = allocate(m, spm->piece_count, text_bytes, &cursor, err);
    for (int32_t i = 0; i < spm->piece_count && rc == 0; i++)
        rc = add_piece(m, i, fc_spm_piece(spm, i), spm->piece_len[i], (double)spm->score[i], &cursor, err);
    // SpmConverter: Unigram(vocab, unk_id = trainer_spec.unk_id, byte_fallback = False).
    if (rc == 0) rc = finish(m, spm->unk_id, path, err);
    if (rc) fc_unigram_free(m);
    return rc;
}

void fc_unigram_free(fc_unigram *m) {
    free(m->pieces); // the texts too (allocate)
    free(m->scores);
    free(m->piece_len);
    fc_strmap_free(&m->vocab);
    trie_free(&m->trie);
    memset(m, 0, sizeof *m);
}

// --- encoding ----------------------------------------------------------------------------------

// Room for the lattice of a word of len bytes. It grows with the longest word seen, so it is of
// the fallible kind; cap keeps the old size until every array has grown.
static int scratch_reserve(fc_unigram_scratch *s, size_t len, fc_error *err) {
    if (len + 1 <= s->cap) return 0;
    size_t cap = (len + 1) * 2, bytes = cap * (sizeof *s->score + 3 * sizeof *s->start);
    const char *what = "the Unigram lattice of a word";
    double *score = fc_try_realloc_array(s->score, cap, sizeof *score);
    if (!score) return fc_fail_out_of_memory(err, what, bytes);
    s->score = score;
    int32_t *start = fc_try_realloc_array(s->start, cap, sizeof *start);
    if (!start) return fc_fail_out_of_memory(err, what, bytes);
    s->start = start;
    int32_t *id = fc_try_realloc_array(s->id, cap, sizeof *id);
    if (!id) return fc_fail_out_of_memory(err, what, bytes);
    s->id = id;
    int32_t *tokens = fc_try_realloc_array(s->tokens, cap, sizeof *tokens);
    if (!tokens) return fc_fail_out_of_memory(err, what, bytes);
    s->tokens = tokens;
    s->cap = cap;
    return 0;
}

// Offers the edge [from, to) with the given id and score to the best path ending at to.
static void relax(fc_unigram_scratch *s, size_t from, size_t to, int32_t id, double score) {
    double candidate = score + s->score[from];
    if (s->start[to] < 0 || candidate > s->score[to]) {
        s->score[to] = candidate;
        s->start[to] = (int32_t)from;
        s->id[to] = id;
    }
}

// The id(s) of a token text from the backtracking (Unigram::tokenize): its vocabulary id, else
// byte pieces (byte_fallback) or unk_id.
static int emit(const fc_unigram *m, const char *text, size_t len, fc_ids *out, fc_error *err) {
    int32_t id = fc_strmap_get(&m->vocab, text, len);
    if (id >= 0) return fc_ids_try_push(out, id, err);
    if (m->byte_fallback) {
        size_t i = 0;
        while (i < len && m->byte_ids[(unsigned char)text[i]] >= 0) i++;
        if (i == len) {
            for (i = 0; i < len; i++)
                if (fc_ids_try_push(out, m->byte_ids[(unsigned char)text[i]], err) != 0) return -1;
            return 0;
        }
    }
    if (m->unk_id < 0) return fc_fail(err, "Unigram: an unknown token and the model has no unk_id");
    return fc_ids_try_push(out, m->unk_id, err);
}

int fc_unigram_encode_word(const fc_unigram *m, const char *word, size_t len, fc_ids *out,
                           fc_unigram_scratch *s, fc_error *err) {
    if (len == 0) return 0;
    if (scratch_reserve(s, len, err) != 0) return -1;
    for (size_t i = 0; i <= len; i++) s->start[i] = -1;
    s->score[0] = 0.0;
    const fc_unigram_trie *t = &m->trie;
    // Unigram::encode_optimized: forward over character starts.
    for (size_t from = 0; from < len;) {
        int32_t cp;
        size_t char_len = (size_t)fc_utf8_decode(word + from, &cp);
        int has_single_char_piece = 0;
        int32_t node = t->root_child[(unsigned char)word[from]];
        for (size_t end = from + 1; node >= 0; end++) {
            int32_t id = t->node_piece[node];
            if (id >= 0) {
                relax(s, from, end, id, m->scores[id]);
                if (end - from == char_len) has_single_char_piece = 1;
            }
            if (end == len) break;
            node = trie_child(t, (uint32_t)node, (unsigned char)word[end]);
        }
        if (!has_single_char_piece) {
            if (m->unk_id < 0)
                return fc_fail(err, "Unigram: an unknown character at byte %zu and the model has no unk_id", from);
            relax(s, from, from + char_len, m->unk_id, m->unk_score);
        }
        from += char_len;
    }
    // Backtrack from the end, collecting token ends (last first).
    size_t count = 0;
    for (size_t end = len; end > 0; end = (size_t)s->start[end]) s->tokens[count++] = (int32_t)end;
    // Forward: each token is [start[end], end); consecutive unk_id tokens fuse into one.
    size_t k = count;
    while (k > 0) {
        size_t end = (size_t)s->tokens[--k], start = (size_t)s->start[end];
        if (m->unk_id >= 0 && s->id[end] == m->unk_id) {
            while (k > 0 && s->id[s->tokens[k - 1]] == m->unk_id) end = (size_t)s->tokens[--k];
            if (emit(m, word + start, end - start, out, err)) return -1;
            continue;
        }
        if (fc_ids_try_push(out, s->id[end], err) != 0) return -1;
    }
    return 0;
}

void fc_unigram_scratch_free(fc_unigram_scratch *s) {
    free(s->score);
    free(s->start);
    free(s->id);
    free(s->tokens);
    memset(s, 0, sizeof *s);
}

int32_t fc_unigram_token_to_id(const fc_unigram *m, const char *token, size_t len) {
    return fc_strmap_get(&m->vocab, token, len);
}

const char *fc_unigram_id_to_token(const fc_unigram *m, int32_t id) {
    return id >= 0 && id < m->piece_count ? m->pieces[id] : NULL;
}
