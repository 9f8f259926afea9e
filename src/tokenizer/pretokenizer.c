#include "tokenizer/pretokenizer.h"

#include <stdlib.h>
#include <string.h>

#include "tokenizer/bert_unicode.h"
#include "tokenizer/bytelevel.h"
#include "tokenizer/utf8.h"
#include "util/alloc.h"
#include "util/error.h"

// GPT-2's split regex as tokenizers' ByteLevel uses it (pre_tokenizers/byte_level.rs):
//   's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
// HF runs it with Oniguruma, whose \s is Unicode White_Space (U+0085 included, U+180E not:
// checked on every code point, tests/fixtures/tokens/codepoint_blocks.jsonl). PCRE2 10.42 with
// UCP gives the same set, but PCRE2 defines \s differently (\p{Z}, \h and \v, resting on the
// build's Unicode tables), so \s is spelled out here as the White_Space set
// (fc_unicode_is_white_space) and the behaviour does not hang on the PCRE2 build. \p{L} and
// \p{N} come from PCRE2's Unicode tables (UCP; model-reference P16). Alternatives are tried left
// to right at each position, each greedy, in both engines.
#define WS "\\t\\n\\x{0B}\\f\\r\\x{20}\\x{85}\\x{A0}\\x{1680}\\x{2000}-\\x{200A}\\x{2028}\\x{2029}" \
           "\\x{202F}\\x{205F}\\x{3000}"
static const char bytelevel_pattern[] =
    "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^" WS "\\p{L}\\p{N}]+|[" WS "]+(?![^" WS "])|[" WS "]+";

static int compile_regex(fc_pretokenizer *pt, const char *path, fc_error *err) {
    int code;
    PCRE2_SIZE offset;
    // UCP makes \p{L} / \p{N} Unicode properties (model-reference P16).
    pt->regex = pcre2_compile((PCRE2_SPTR)bytelevel_pattern, PCRE2_ZERO_TERMINATED,
                              PCRE2_UTF | PCRE2_UCP, &code, &offset, NULL);
    if (!pt->regex) {
        PCRE2_UCHAR msg[256];
        pcre2_get_error_message(code, msg, sizeof msg);
        return fc_fail(err, "%s: cannot compile the ByteLevel split regex at %zu: %s", path,
                       (size_t)offset, (const char *)msg);
    }
    // JIT is a speed-up only; without it (unsupported platform) the interpreter gives the same.
    pcre2_jit_compile(pt->regex, PCRE2_JIT_COMPLETE);
    return 0;
}

static int load_bytelevel(fc_pretokenizer *pt, const cJSON *json, const char *path, fc_error *err) {
    pt->kind = FC_PRETOKENIZER_BYTELEVEL;
    // tokenizers' defaults: add_prefix_space true, use_regex true.
    const cJSON *aps = cJSON_GetObjectItemCaseSensitive(json, "add_prefix_space");
    const cJSON *ur = cJSON_GetObjectItemCaseSensitive(json, "use_regex");
    pt->add_prefix_space = cJSON_IsBool(aps) ? cJSON_IsTrue(aps) : 1;
    pt->use_regex = cJSON_IsBool(ur) ? cJSON_IsTrue(ur) : 1;
    return pt->use_regex ? compile_regex(pt, path, err) : 0;
}

static int load_sequence(fc_pretokenizer *pt, const cJSON *json, const char *path, fc_error *err) {
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(json, "pretokenizers");
    if (!cJSON_IsArray(list)) return fc_fail(err, "%s: pre_tokenizer Sequence has no \"pretokenizers\" array", path);
    pt->kind = FC_PRETOKENIZER_SEQUENCE;
    pt->steps = fc_calloc((size_t)cJSON_GetArraySize(list) + 1, sizeof *pt->steps);
    for (const cJSON *item = list->child; item; item = item->next) {
        // Each step still counts when its load fails, so that freeing releases what it holds.
        if (fc_pretokenizer_load(&pt->steps[pt->step_count++], item, path, err)) return -1;
    }
    return 0;
}

int fc_pretokenizer_load(fc_pretokenizer *pt, const cJSON *json, const char *path, fc_error *err) {
    memset(pt, 0, sizeof *pt);
    if (!json || cJSON_IsNull(json)) return 0;
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(json, "type");
    if (!cJSON_IsString(type)) return fc_fail(err, "%s: pre_tokenizer has no \"type\"", path);
    if (strcmp(type->valuestring, "ByteLevel") == 0) return load_bytelevel(pt, json, path, err);
    if (strcmp(type->valuestring, "Sequence") == 0) return load_sequence(pt, json, path, err);
    if (strcmp(type->valuestring, "BertPreTokenizer") == 0) {
        pt->kind = FC_PRETOKENIZER_BERT;
        return 0;
    }
    if (strcmp(type->valuestring, "Metaspace") == 0) {
        pt->kind = FC_PRETOKENIZER_METASPACE;
        return fc_metaspace_load(&pt->metaspace, json, path, err);
    }
    return fc_fail(err, "%s: pre_tokenizer type \"%s\" is not supported (supported: ByteLevel, Metaspace, "
                   "BertPreTokenizer, Sequence, null)", path, type->valuestring);
}

void fc_pretokenizer_free(fc_pretokenizer *pt) {
    if (pt->regex) pcre2_code_free(pt->regex);
    for (int i = 0; i < pt->step_count; i++) fc_pretokenizer_free(&pt->steps[i]);
    free(pt->steps);
    memset(pt, 0, sizeof *pt);
}

// Words grow with the text, so every buffer here is of the fallible kind (util/alloc.h).
static int add_word(const fc_pretokenizer *pt, fc_words *out, const char *word, size_t len, fc_error *err) {
    if (len == 0) return 0;
    if (out->count == out->cap) {
        size_t cap = out->cap ? out->cap * 2 : 64;
        size_t *ends = fc_try_realloc_array(out->ends, cap, sizeof *ends);
        if (!ends) return fc_fail_out_of_memory(err, "the word ends of a text", cap * sizeof *ends);
        out->ends = ends;
        out->cap = cap;
    }
    int rc = pt->kind == FC_PRETOKENIZER_BYTELEVEL ? fc_bytelevel_append(&out->text, word, len, err)
                                                    : fc_textbuf_try_append(&out->text, word, len, err);
    if (rc) return -1;
    out->ends[out->count++] = out->text.len;
    return 0;
}

static int pretokenize_append(const fc_pretokenizer *pt, const char *text, size_t len, int starts_text,
                              fc_words *out, fc_error *err);

// Metaspace: rewrite the piece, then cut it before every replacement character.
static int metaspace_words(const fc_pretokenizer *pt, const char *text, size_t len, int starts_text,
                           fc_words *out, fc_error *err) {
    if (len == 0) return 0;
    if (fc_metaspace_rewrite(&pt->metaspace, text, len, starts_text, &out->prefixed, err) != 0) return -1;
    const char *p = out->prefixed.data;
    size_t left = out->prefixed.len;
    while (left > 0) {
        size_t n = fc_metaspace_word_len(&pt->metaspace, p, left);
        if (add_word(pt, out, p, n, err) != 0) return -1;
        p += n;
        left -= n;
    }
    return 0;
}

// ByteLevel: the GPT-2 regex split (or the whole piece), each word byte-mapped.
static int bytelevel_words(const fc_pretokenizer *pt, const char *text, size_t len, fc_words *out,
                           fc_error *err) {
    if (pt->add_prefix_space && len > 0 && text[0] != ' ') {
        out->prefixed.len = 0;
        if (fc_textbuf_try_append(&out->prefixed, " ", 1, err) ||
            fc_textbuf_try_append(&out->prefixed, text, len, err))
            return -1;
        text = out->prefixed.data;
        len = out->prefixed.len;
    }
    if (!pt->use_regex) return add_word(pt, out, text, len, err);
    if (!out->match) {
        // PCRE2 allocates it with malloc, NULL when it cannot: two offsets per group.
        out->match = pcre2_match_data_create_from_pattern(pt->regex, NULL);
        if (!out->match) return fc_fail_out_of_memory(err, "the split regex's match data", 2 * sizeof(PCRE2_SIZE));
    }
    // Split with SplitDelimiterBehavior::Isolated: every match is a word, and so is any text
    // between matches (the pattern covers every character, so there is none in practice).
    size_t pos = 0;
    while (pos < len) {
        int rc = pcre2_match(pt->regex, (PCRE2_SPTR)text, len, pos, PCRE2_NO_UTF_CHECK, out->match, NULL);
        if (rc == PCRE2_ERROR_NOMATCH) break;
        if (rc < 0) {
            PCRE2_UCHAR msg[256];
            pcre2_get_error_message(rc, msg, sizeof msg);
            return fc_fail(err, "pre-tokenizer regex failed at byte %zu: %s", pos, (const char *)msg);
        }
        PCRE2_SIZE *ov = pcre2_get_ovector_pointer(out->match);
        size_t start = ov[0], end = ov[1];
        if (end == start) { // cannot happen with this pattern; guard against looping forever
            end = start + 1;
            while (end < len && ((unsigned char)text[end] & 0xC0) == 0x80) end++;
        }
        if (add_word(pt, out, text + pos, start - pos, err) || add_word(pt, out, text + start, end - start, err))
            return -1;
        pos = end;
    }
    return add_word(pt, out, text + pos, len - pos, err);
}

// BertPreTokenizer (pre_tokenizers/bert.rs): split on char::is_whitespace, which goes away, then
// every punctuation character (the crate's is_bert_punc) becomes a word of its own. Both splits
// drop empty pieces, so a word is a maximal run of other characters.
static int bert_words(const fc_pretokenizer *pt, const char *text, size_t len, fc_words *out, fc_error *err) {
    size_t word_start = 0;
    for (size_t i = 0; i < len;) {
        int32_t cp;
        int n = fc_utf8_decode(text + i, &cp);
        int space = fc_unicode_is_white_space(cp);
        if (space || fc_bert_is_punctuation(cp)) {
            if (add_word(pt, out, text + word_start, i - word_start, err) != 0) return -1;
            if (!space && add_word(pt, out, text + i, (size_t)n, err) != 0) return -1;
            word_start = i + (size_t)n;
        }
        i += (size_t)n;
    }
    return add_word(pt, out, text + word_start, len - word_start, err);
}

// Sequence: each step splits every word of the step before (PreTokenizedString::split per
// step); only the very first word can still start the original text.
static int sequence_words(const fc_pretokenizer *pt, const char *text, size_t len, int starts_text,
                          fc_words *out, fc_error *err) {
    if (pt->step_count == 0) return add_word(pt, out, text, len, err);
    if (pt->step_count == 1) return pretokenize_append(&pt->steps[0], text, len, starts_text, out, err);
    if (!out->stage) {
        out->stage = fc_try_calloc(1, sizeof *out->stage);
        if (!out->stage) return fc_fail_out_of_memory(err, "the words of a pre-tokenizer step", sizeof *out->stage);
    }
    fc_words *stage = out->stage;
    // Steps alternate between stage and out so that the last one writes out.
    fc_words *src = (pt->step_count % 2 == 0) ? stage : out, *dst = src == out ? stage : out;
    src->text.len = 0;
    src->count = 0;
    if (pretokenize_append(&pt->steps[0], text, len, starts_text, src, err)) return -1;
    for (int k = 1; k < pt->step_count; k++) {
        dst->text.len = 0;
        dst->count = 0;
        size_t start = 0;
        for (size_t w = 0; w < src->count; w++) {
            size_t end = src->ends[w];
            if (pretokenize_append(&pt->steps[k], src->text.data + start, end - start, starts_text && w == 0,
                                   dst, err))
                return -1;
            start = end;
        }
        fc_words *t = src;
        src = dst;
        dst = t;
    }
    return 0;
}

static int pretokenize_append(const fc_pretokenizer *pt, const char *text, size_t len, int starts_text,
                              fc_words *out, fc_error *err) {
    switch (pt->kind) {
    case FC_PRETOKENIZER_NONE:
        return add_word(pt, out, text, len, err);
    case FC_PRETOKENIZER_BYTELEVEL:
        return bytelevel_words(pt, text, len, out, err);
    case FC_PRETOKENIZER_METASPACE:
        return metaspace_words(pt, text, len, starts_text, out, err);
    case FC_PRETOKENIZER_SEQUENCE:
        return sequence_words(pt, text, len, starts_text, out, err);
    case FC_PRETOKENIZER_BERT:
        return bert_words(pt, text, len, out, err);
    }
    return fc_fail(err, "unknown pre-tokenizer kind %d", (int)pt->kind);
}

int fc_pretokenize(const fc_pretokenizer *pt, const char *text, size_t len, int starts_text,
                   fc_words *out, fc_error *err) {
    out->text.len = 0;
    out->count = 0;
    return pretokenize_append(pt, text, len, starts_text, out, err);
}

void fc_words_free(fc_words *words) {
    if (words->stage) {
        fc_words_free(words->stage);
        free(words->stage);
    }
    fc_textbuf_free(&words->text);
    fc_textbuf_free(&words->prefixed);
    free(words->ends);
    if (words->match) pcre2_match_data_free(words->match);
    memset(words, 0, sizeof *words);
}
