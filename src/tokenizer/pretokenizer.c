#include "tokenizer/pretokenizer.h"

#include <stdlib.h>
#include <string.h>

#include "tokenizer/bytelevel.h"
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

int fc_pretokenizer_load(fc_pretokenizer *pt, const cJSON *json, const char *path, fc_error *err) {
    memset(pt, 0, sizeof *pt);
    if (!json || cJSON_IsNull(json)) return 0;
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(json, "type");
    if (!cJSON_IsString(type)) return fc_fail(err, "%s: pre_tokenizer has no \"type\"", path);
    if (strcmp(type->valuestring, "ByteLevel") != 0)
        return fc_fail(err, "%s: pre_tokenizer type \"%s\" is not supported (supported: ByteLevel, null)",
                       path, type->valuestring);
    pt->kind = FC_PRETOKENIZER_BYTELEVEL;
    // tokenizers' defaults: add_prefix_space true, use_regex true.
    const cJSON *aps = cJSON_GetObjectItemCaseSensitive(json, "add_prefix_space");
    const cJSON *ur = cJSON_GetObjectItemCaseSensitive(json, "use_regex");
    pt->add_prefix_space = cJSON_IsBool(aps) ? cJSON_IsTrue(aps) : 1;
    pt->use_regex = cJSON_IsBool(ur) ? cJSON_IsTrue(ur) : 1;
    return pt->use_regex ? compile_regex(pt, path, err) : 0;
}

void fc_pretokenizer_free(fc_pretokenizer *pt) {
    if (pt->regex) pcre2_code_free(pt->regex);
    memset(pt, 0, sizeof *pt);
}

static void add_word(const fc_pretokenizer *pt, fc_words *out, const char *word, size_t len) {
    if (len == 0) return;
    if (pt->kind == FC_PRETOKENIZER_BYTELEVEL)
        fc_bytelevel_append(&out->text, word, len);
    else
        fc_textbuf_append(&out->text, word, len);
    if (out->count == out->cap) {
        out->cap = out->cap ? out->cap * 2 : 64;
        out->ends = fc_realloc(out->ends, out->cap * sizeof *out->ends);
    }
    out->ends[out->count++] = out->text.len;
}

int fc_pretokenize(const fc_pretokenizer *pt, const char *text, size_t len, fc_words *out,
                   fc_error *err) {
    out->text.len = 0;
    out->count = 0;
    if (pt->kind == FC_PRETOKENIZER_NONE) {
        add_word(pt, out, text, len);
        return 0;
    }
    if (pt->add_prefix_space && len > 0 && text[0] != ' ') {
        out->prefixed.len = 0;
        fc_textbuf_append(&out->prefixed, " ", 1);
        fc_textbuf_append(&out->prefixed, text, len);
        text = out->prefixed.data;
        len = out->prefixed.len;
    }
    if (!pt->use_regex) {
        add_word(pt, out, text, len);
        return 0;
    }
    if (!out->match) out->match = pcre2_match_data_create_from_pattern(pt->regex, NULL);
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
        add_word(pt, out, text + pos, start - pos);
        add_word(pt, out, text + start, end - start);
        pos = end;
    }
    add_word(pt, out, text + pos, len - pos);
    return 0;
}

void fc_words_free(fc_words *words) {
    fc_textbuf_free(&words->text);
    fc_textbuf_free(&words->prefixed);
    free(words->ends);
    if (words->match) pcre2_match_data_free(words->match);
    memset(words, 0, sizeof *words);
}
