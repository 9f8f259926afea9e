#include "tokenizer/bpe.h"

#include <stdlib.h>
#include <string.h>

#include "tokenizer/textbuf.h"
#include "tokenizer/utf8.h"
#include "tokenizer/vocab.h"
#include "util/alloc.h"
#include "util/error.h"
#include "util/ids.h"

// One symbol of a word being merged: a doubly linked list over the word's positions, as in
// tokenizers' models/bpe/word.rs; a merged-away symbol gets alive = 0.
typedef struct symbol {
    int32_t id;
    int32_t prev, next; // -1 at the ends
    int alive;
} symbol;

// A candidate merge of the symbol at pos with its right neighbour.
typedef struct merge_candidate {
    uint32_t rank;
    int32_t pos;
    int32_t new_id;
} merge_candidate;

static uint64_t mix64(uint64_t x) {
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x;
}

static const fc_bpe_merge_slot *merge_lookup(const fc_bpe *bpe, int32_t left, int32_t right) {
    uint64_t pair = ((uint64_t)(uint32_t)left << 32) | (uint32_t)right;
    size_t mask = bpe->merges_cap - 1, i = (size_t)mix64(pair) & mask;
    while (bpe->merges[i].used) {
        if (bpe->merges[i].pair == pair) return &bpe->merges[i];
        i = (i + 1) & mask;
    }
    return NULL;
}

// Later duplicates of a pair overwrite earlier ones, as collecting into a Rust HashMap does.
static void merge_insert(fc_bpe *bpe, int32_t left, int32_t right, uint32_t rank, int32_t new_id) {
    uint64_t pair = ((uint64_t)(uint32_t)left << 32) | (uint32_t)right;
    size_t mask = bpe->merges_cap - 1, i = (size_t)mix64(pair) & mask;
    while (bpe->merges[i].used && bpe->merges[i].pair != pair) i = (i + 1) & mask;
    if (!bpe->merges[i].used) bpe->merge_count++;
    bpe->merges[i] = (fc_bpe_merge_slot){pair, rank, new_id, 1};
}

static int load_vocab(fc_bpe *bpe, const cJSON *vocab, const char *path, fc_error *err) {
    return fc_vocab_load(vocab, path, &bpe->vocab, &bpe->id_to_token, &bpe->id_count, NULL, err);
}

// One merge's two tokens, pointing into the JSON text (no copy: a vocabulary has 50 thousand
// merges or more).
typedef struct merge_tokens {
    const char *left, *right;
    size_t left_len, right_len;
} merge_tokens;

// A merge is either "left right" (older files: split at the first space) or ["left", "right"].
static int merge_parts(const cJSON *m, size_t index, const char *path, merge_tokens *out, fc_error *err) {
    if (cJSON_IsString(m)) {
        const char *s = m->valuestring, *space = strchr(s, ' ');
        if (!space) return fc_fail(err, "%s: model.merges[%zu] \"%s\" has no space", path, index, s);
        *out = (merge_tokens){s, space + 1, (size_t)(space - s), strlen(space + 1)};
        return 0;
    }
    if (cJSON_IsArray(m) && cJSON_GetArraySize(m) == 2 && cJSON_IsString(m->child) &&
        cJSON_IsString(m->child->next)) {
        const char *left = m->child->valuestring, *right = m->child->next->valuestring;
        *out = (merge_tokens){left, right, strlen(left), strlen(right)};
        return 0;
    }
    return fc_fail(err, "%s: model.merges[%zu] is neither \"a b\" nor [\"a\", \"b\"]", path, index);
}

// The merges table is sized by the file, so it is allocated fallibly (util/alloc.h).
static int load_merges(fc_bpe *bpe, const cJSON *merges, const char *path, fc_error *err) {
    if (!cJSON_IsArray(merges)) return fc_fail(err, "%s: model.merges is missing or not an array", path);
    size_t n = (size_t)cJSON_GetArraySize(merges), cap = 16;
    while (cap < n * 2) cap *= 2;
    bpe->merges = fc_try_calloc(cap, sizeof *bpe->merges);
    if (!bpe->merges) return fc_fail_out_of_memory(err, "the BPE merges table", cap * sizeof *bpe->merges);
    bpe->merges_cap = cap;
    size_t index = 0;
    fc_textbuf joined = {0};
    int rc = 0;
    for (const cJSON *m = merges->child; m && rc == 0; m = m->next, index++) {
        merge_tokens t = {0};
        joined.len = 0;
        if (merge_parts(m, index, path, &t, err) || fc_textbuf_try_append(&joined, t.left, t.left_len, err) ||
            fc_textbuf_try_append(&joined, t.right, t.right_len, err)) {
            rc = -1;
            break;
        }
        int32_t a = fc_strmap_get(&bpe->vocab, t.left, t.left_len);
        int32_t b = fc_strmap_get(&bpe->vocab, t.right, t.right_len);
        int32_t c = fc_strmap_get(&bpe->vocab, joined.data, joined.len);
        if (a < 0 || b < 0 || c < 0)
            rc = fc_fail(err, "%s: model.merges[%zu] (\"%.*s\" \"%.*s\"): %s not in model.vocab", path, index,
                         (int)t.left_len, t.left, (int)t.right_len, t.right,
                         a < 0 ? "left token" : b < 0 ? "right token" : "merged token");
        else
            merge_insert(bpe, a, b, (uint32_t)index, c);
    }
    fc_textbuf_free(&joined);
    return rc;
}

static int is_null_or_empty(const cJSON *v) {
    return !v || cJSON_IsNull(v) || (cJSON_IsString(v) && v->valuestring[0] == '\0');
}

static int merge_word(const fc_bpe *bpe, const char *word, size_t len, fc_ids *out,
                      fc_bpe_scratch *scratch, fc_error *err);

// A read-only stand-in for tokenizers' word cache: common words ("Ġthe", "Ġwas") are vocabulary
// tokens whose merges rebuild exactly themselves, so for those the merge loop can be skipped
// after one vocab lookup. Found by running the merge loop itself on every token at load, so it
// is exact by construction, and needs no lock when threads share the tokenizer.
static int find_tokens_that_merge_to_themselves(fc_bpe *bpe, fc_error *err) {
    bpe->merges_to_itself = fc_try_calloc((size_t)bpe->id_count + 1, 1);
    if (!bpe->merges_to_itself) return fc_fail_out_of_memory(err, "the BPE word cache", (size_t)bpe->id_count + 1);
    fc_bpe_scratch scratch = {0};
    fc_ids ids = {0};
    int rc = 0;
    for (int32_t id = 0; id < bpe->id_count && rc == 0; id++) {
        const char *token = bpe->id_to_token[id];
        if (!token) continue;
        ids.len = 0;
        rc = merge_word(bpe, token, strlen(token), &ids, &scratch, err);
        bpe->merges_to_itself[id] = ids.len == 1 && ids.ids[0] == id;
    }
    fc_ids_free(&ids);
    fc_bpe_scratch_free(&scratch);
    return rc;
}

int fc_bpe_load(fc_bpe *bpe, const cJSON *model, const char *path, fc_error *err) {
    memset(bpe, 0, sizeof *bpe);
    bpe->unk_id = -1;
    const cJSON *dropout = cJSON_GetObjectItemCaseSensitive(model, "dropout");
    if (dropout && !cJSON_IsNull(dropout) && !(cJSON_IsNumber(dropout) && dropout->valuedouble == 0.0))
        return fc_fail(err, "%s: model.dropout is set; BPE dropout is random and not supported", path);
    if (!is_null_or_empty(cJSON_GetObjectItemCaseSensitive(model, "continuing_subword_prefix")) ||
        !is_null_or_empty(cJSON_GetObjectItemCaseSensitive(model, "end_of_word_suffix")))
        return fc_fail(err, "%s: model.continuing_subword_prefix / end_of_word_suffix are not supported", path);
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(model, "byte_fallback")))
        return fc_fail(err, "%s: model.byte_fallback is not supported", path);
    bpe->ignore_merges = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(model, "ignore_merges"));
    bpe->fuse_unk = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(model, "fuse_unk"));

    if (load_vocab(bpe, cJSON_GetObjectItemCaseSensitive(model, "vocab"), path, err) ||
        load_merges(bpe, cJSON_GetObjectItemCaseSensitive(model, "merges"), path, err)) {
        fc_bpe_free(bpe);
        return -1;
    }
    // An unk_token missing from the vocab only matters for characters outside it; HF fails on
    // those at encode time, we drop them as if there were no unk_token.
    const cJSON *unk = cJSON_GetObjectItemCaseSensitive(model, "unk_token");
    if (cJSON_IsString(unk)) bpe->unk_id = fc_strmap_get(&bpe->vocab, unk->valuestring, strlen(unk->valuestring));
    for (int32_t cp = 0; cp < 0x800; cp++) {
        char tmp[4];
        int n = fc_utf8_encode(cp, tmp);
        bpe->small_char_ids[cp] = fc_strmap_get(&bpe->vocab, tmp, (size_t)n);
    }
    if (find_tokens_that_merge_to_themselves(bpe, err) != 0) {
        fc_bpe_free(bpe);
        return -1;
    }
    return 0;
}

void fc_bpe_free(fc_bpe *bpe) {
    free(bpe->id_to_token); // the texts too (vocab.h)
    free(bpe->merges_to_itself);
    free(bpe->merges);
    fc_strmap_free(&bpe->vocab);
    memset(bpe, 0, sizeof *bpe);
}

int32_t fc_bpe_token_to_id(const fc_bpe *bpe, const char *token, size_t len) {
    return fc_strmap_get(&bpe->vocab, token, len);
}

const char *fc_bpe_id_to_token(const fc_bpe *bpe, int32_t id) {
    return id >= 0 && id < bpe->id_count ? bpe->id_to_token[id] : NULL;
}

// --- the merge queue: a binary min-heap on (rank, pos), Rust's BinaryHeap<Merge> order ---

static int candidate_before(const merge_candidate *a, const merge_candidate *b) {
    return a->rank != b->rank ? a->rank < b->rank : a->pos < b->pos;
}

static void queue_push(merge_candidate *q, size_t *n, merge_candidate c) {
    size_t i = (*n)++;
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!candidate_before(&c, &q[parent])) break;
        q[i] = q[parent];
        i = parent;
    }
    q[i] = c;
}

static merge_candidate queue_pop(merge_candidate *q, size_t *n) {
    merge_candidate top = q[0], last = q[--(*n)];
    size_t i = 0;
    for (;;) {
        size_t child = 2 * i + 1;
        if (child >= *n) break;
        if (child + 1 < *n && candidate_before(&q[child + 1], &q[child])) child++;
        if (!candidate_before(&q[child], &last)) break;
        q[i] = q[child];
        i = child;
    }
    if (*n) q[i] = last;
    return top;
}

static void push_pair_if_mergeable(const fc_bpe *bpe, const symbol *syms, int32_t pos,
                                   merge_candidate *q, size_t *n) {
    int32_t next = syms[pos].next;
    if (next < 0) return;
    const fc_bpe_merge_slot *m = merge_lookup(bpe, syms[pos].id, syms[next].id);
    if (m) queue_push(q, n, (merge_candidate){m->rank, pos, m->new_id});
}

static int32_t char_id(const fc_bpe *bpe, const char *s, int len, int32_t cp) {
    if (cp < 0x800) return bpe->small_char_ids[cp];
    return fc_strmap_get(&bpe->vocab, s, (size_t)len);
}

int fc_bpe_encode_word(const fc_bpe *bpe, const char *word, size_t len, fc_ids *out,
                       fc_bpe_scratch *scratch, fc_error *err) {
    if (len == 0) return 0;
    int32_t id = fc_strmap_get(&bpe->vocab, word, len);
    // ignore_merges: a word in the vocab is emitted whole (tokenize_with_cache in model.rs).
    if (id >= 0 && (bpe->ignore_merges || bpe->merges_to_itself[id])) return fc_ids_try_push(out, id, err);
    return merge_word(bpe, word, len, out, scratch, err);
}

// Room for the symbols of a word of len bytes (at most one per byte) and their merge queue.
// Each merge removes a symbol and queues at most two pairs, so the queue never holds more than
// 3 entries per symbol. Both grow with the longest word seen, so they are of the fallible kind.
static int scratch_reserve(fc_bpe_scratch *scratch, size_t len, fc_error *err) {
    if (scratch->symbols_cap >= len) return 0;
    size_t cap = len * 2;
    symbol *symbols = fc_try_realloc_array(scratch->symbols, cap, sizeof *symbols);
    if (!symbols) return fc_fail_out_of_memory(err, "the BPE symbols of a word", cap * sizeof *symbols);
    scratch->symbols = symbols; // symbols_cap keeps the old size until both have grown
    merge_candidate *queue = fc_try_realloc_array(scratch->queue, cap * 3, sizeof *queue);
    if (!queue) return fc_fail_out_of_memory(err, "the BPE merge queue of a word", cap * 3 * sizeof *queue);
    scratch->queue = queue;
    scratch->symbols_cap = cap;
    scratch->queue_cap = cap * 3;
    return 0;
}

// The merge loop of word.rs (merge_all) on one word.
static int merge_word(const fc_bpe *bpe, const char *word, size_t len, fc_ids *out,
                      fc_bpe_scratch *scratch, fc_error *err) {
    if (scratch_reserve(scratch, len, err) != 0) return -1;
    symbol *syms = scratch->symbols;
    merge_candidate *queue = scratch->queue;

    // One symbol per character; characters outside the vocab become [UNK] (fused when fuse_unk)
    // or vanish when the model has no unk_token, as merge_word in models/bpe/model.rs does.
    int32_t n = 0;
    int pending_unk = 0;
    for (size_t i = 0; i < len;) {
        int32_t cp;
        int cl = fc_utf8_decode(word + i, &cp);
        int32_t id = char_id(bpe, word + i, cl, cp);
        i += (size_t)cl;
        if (id < 0) {
            if (bpe->unk_id < 0) continue;
            if (pending_unk && bpe->fuse_unk) continue;
            if (pending_unk) syms[n++] = (symbol){bpe->unk_id, 0, 0, 1};
            pending_unk = 1;
            continue;
        }
        if (pending_unk) {
            syms[n++] = (symbol){bpe->unk_id, 0, 0, 1};
            pending_unk = 0;
        }
        syms[n++] = (symbol){id, 0, 0, 1};
    }
    if (pending_unk) syms[n++] = (symbol){bpe->unk_id, 0, 0, 1};
    for (int32_t i = 0; i < n; i++) {
        syms[i].prev = i - 1;
        syms[i].next = i + 1 < n ? i + 1 : -1;
    }

    size_t queued = 0;
    for (int32_t i = 0; i + 1 < n; i++) push_pair_if_mergeable(bpe, syms, i, queue, &queued);
    while (queued) {
        merge_candidate top = queue_pop(queue, &queued);
        symbol *left = &syms[top.pos];
        if (!left->alive || left->next < 0) continue;
        symbol *right = &syms[left->next];
        // Skip entries made stale by an earlier merge: the pair there must still merge into
        // the same token (word.rs compares the new id the same way).
        const fc_bpe_merge_slot *m = merge_lookup(bpe, left->id, right->id);
        if (!m || m->new_id != top.new_id) continue;
        left->id = top.new_id;
        right->alive = 0;
        left->next = right->next;
        if (right->next >= 0) syms[right->next].prev = top.pos;
        // Each merge removes a symbol and queues at most two pairs, so the queue never holds
        // more than 3 * n entries.
        if (left->prev >= 0) push_pair_if_mergeable(bpe, syms, left->prev, queue, &queued);
        push_pair_if_mergeable(bpe, syms, top.pos, queue, &queued);
    }
    for (int32_t i = n > 0 ? 0 : -1; i >= 0; i = syms[i].next)
        if (fc_ids_try_push(out, syms[i].id, err) != 0) return -1;
    return 0;
}

void fc_bpe_scratch_free(fc_bpe_scratch *scratch) {
    free(scratch->symbols);
    free(scratch->queue);
    memset(scratch, 0, sizeof *scratch);
}
