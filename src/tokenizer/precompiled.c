#include "tokenizer/precompiled.h"

#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "tokenizer/utf8.h"
#include "util/alloc.h"
#include "util/error.h"

// Darts-clone unit fields, as spm_precompiled's DoubleArray reads them.
static uint32_t unit_has_leaf(uint32_t u) {
    return (u >> 8) & 1;
}

static uint32_t unit_value(uint32_t u) {
    return u & 0x7FFFFFFFu;
}

static uint32_t unit_label(uint32_t u) {
    return u & (0x80000000u | 0xFFu);
}

static size_t unit_offset(uint32_t u) {
    return (size_t)(u >> 10) << ((u & (1u << 9)) >> 6);
}

const char *fc_precompiled_lookup(const fc_precompiled *pc, const char *key, size_t len,
                                  size_t *replacement_len) {
    if (pc->unit_count == 0) return NULL;
    // DoubleArray::common_prefix_search; its first result is the shortest prefix, the only one
    // Precompiled::transform uses, so the search stops there. The Rust code indexes without
    // checks (a bad trie panics); here an index outside the trie or the pool ends the search
    // with no match, since the file is untrusted.
    size_t pos = unit_offset(pc->units[0]);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)key[i];
        if (c == 0) break;
        pos ^= c;
        if (pos >= pc->unit_count) return NULL;
        uint32_t u = pc->units[pos];
        if (unit_label(u) != c) return NULL;
        pos ^= unit_offset(u);
        if (!unit_has_leaf(u)) continue;
        if (pos >= pc->unit_count) return NULL;
        size_t start = unit_value(pc->units[pos]);
        // The replacement runs to the next NUL (or the end of the pool). Rust slices the pool as
        // a str, which panics off a character boundary; treat that as no match.
        if (start > pc->pool_len) return NULL;
        if (start < pc->pool_len && ((unsigned char)pc->pool[start] & 0xC0) == 0x80) return NULL;
        const char *s = pc->pool + start;
        const char *nul = memchr(s, '\0', pc->pool_len - start);
        *replacement_len = nul ? (size_t)(nul - s) : pc->pool_len - start;
        return s;
    }
    return NULL;
}

int fc_precompiled_load(fc_precompiled *pc, const unsigned char *blob, size_t len, const char *what,
                        fc_error *err) {
    memset(pc, 0, sizeof *pc);
    if (len < 4) return fc_fail(err, "%s: precompiled_charsmap is too short (%zu bytes)", what, len);
    uint32_t trie_size = (uint32_t)blob[0] | (uint32_t)blob[1] << 8 | (uint32_t)blob[2] << 16 |
                         (uint32_t)blob[3] << 24;
    // As spm_precompiled: trie_size / 4 units follow; whatever comes after them is the pool.
    size_t units = trie_size / 4;
    if (units > (len - 4) / 4)
        return fc_fail(err, "%s: precompiled_charsmap's trie (%u bytes) runs past its end (%zu bytes)",
                       what, trie_size, len);
    size_t pool_start = 4 + units * 4, pool_len = len - pool_start, bad;
    if (!fc_utf8_valid((const char *)blob + pool_start, pool_len, &bad))
        return fc_fail(err, "%s: precompiled_charsmap's replacement strings are not valid UTF-8 (byte %zu)",
                       what, pool_start + bad);
    // Both copies are sized by the file, so allocated fallibly (util/alloc.h).
    pc->units = fc_try_calloc(units ? units : 1, sizeof *pc->units);
    pc->pool = fc_try_malloc(pool_len + 1);
    if (!pc->units || !pc->pool) {
        fc_precompiled_free(pc);
        return fc_fail_out_of_memory(err, "the precompiled charsmap", units * sizeof *pc->units + pool_len + 1);
    }
    pc->unit_count = units;
    for (size_t i = 0; i < units; i++) {
        const unsigned char *p = blob + 4 + 4 * i;
        pc->units[i] = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
    }
    pc->pool_len = pool_len;
    memcpy(pc->pool, blob + pool_start, pool_len);
    pc->pool[pool_len] = '\0';
    for (int c = 0; c < 128; c++) {
        char key = (char)c;
        size_t n = 0;
        pc->ascii[c] = fc_precompiled_lookup(pc, &key, 1, &n);
        pc->ascii_len[c] = pc->ascii[c] ? (int)n : -1;
    }
    return 0;
}

void fc_precompiled_free(fc_precompiled *pc) {
    free(pc->units);
    free(pc->pool);
    memset(pc, 0, sizeof *pc);
}

// End of the extended grapheme cluster that starts at text[pos] (Unicode UAX #29 through
// utf8proc, standing in for the unicode-segmentation crate that tokenizers uses). The break
// state starts fresh at each cluster: the rules that look back (emoji ZWJ sequences, pairs of
// regional indicators) never look past the previous break.
static size_t cluster_end(const char *text, size_t len, size_t pos) {
    int32_t prev, cp;
    size_t end = pos + (size_t)fc_utf8_decode(text + pos, &prev);
    utf8proc_int32_t state = 0;
    while (end < len) {
        int n = fc_utf8_decode(text + end, &cp);
        if (utf8proc_grapheme_break_stateful(prev, cp, &state)) break;
        prev = cp;
        end += (size_t)n;
    }
    return end;
}

// Per-character lookup inside one cluster (the fallback of Precompiled::normalize).
static int normalize_chars(const fc_precompiled *pc, const char *text, size_t start, size_t end,
                           fc_textbuf *out, fc_error *err) {
    while (start < end) {
        int32_t cp;
        size_t n = (size_t)fc_utf8_decode(text + start, &cp), rlen;
        const char *r = fc_precompiled_lookup(pc, text + start, n, &rlen);
        if (r ? fc_textbuf_try_append(out, r, rlen, err) : fc_textbuf_try_append(out, text + start, n, err))
            return -1;
        start += n;
    }
    return 0;
}

int fc_precompiled_normalize(const fc_precompiled *pc, const char *text, size_t len, fc_textbuf *out,
                             fc_error *err) {
    out->len = 0;
    if (fc_textbuf_try_reserve(out, len, err) != 0) return -1;
    size_t pos = 0;
    while (pos < len) {
        unsigned char c = (unsigned char)text[pos];
        // An ASCII character followed by ASCII (or the end) is a cluster of its own, except CR
        // before LF (rule GB3): no need to ask utf8proc.
        if (c < 0x80 && (pos + 1 == len || ((unsigned char)text[pos + 1] < 0x80 &&
                                            !(c == '\r' && text[pos + 1] == '\n')))) {
            int rc = pc->ascii_len[c] >= 0 ? fc_textbuf_try_append(out, pc->ascii[c], (size_t)pc->ascii_len[c], err)
                                           : fc_textbuf_try_append(out, text + pos, 1, err);
            if (rc) return -1;
            pos++;
            continue;
        }
        size_t end = cluster_end(text, len, pos), rlen;
        const char *r = end - pos < 6 ? fc_precompiled_lookup(pc, text + pos, end - pos, &rlen) : NULL;
        int rc = r ? fc_textbuf_try_append(out, r, rlen, err) : normalize_chars(pc, text, pos, end, out, err);
        if (rc) return -1;
        pos = end;
    }
    return 0;
}
