#include "tokenizer/bert_normalizer.h"

#include <stdlib.h>
#include <utf8proc.h>

#include "tokenizer/bert_unicode.h"
#include "tokenizer/utf8.h"
#include "util/error.h"

// A flag that must be a boolean when present; absent (or null, where allowed) gives fallback.
static int read_flag(const cJSON *json, const char *key, int fallback, int *out, const char *path,
                     fc_error *err) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(json, key);
    if (!v || cJSON_IsNull(v)) {
        *out = fallback;
        return 0;
    }
    if (!cJSON_IsBool(v)) return fc_fail(err, "%s: normalizer BertNormalizer: \"%s\" is not a boolean", path, key);
    *out = cJSON_IsTrue(v);
    return 0;
}

int fc_bert_normalizer_load(fc_bert_normalizer *bn, const cJSON *json, const char *path, fc_error *err) {
    if (read_flag(json, "clean_text", 1, &bn->clean_text, path, err) ||
        read_flag(json, "handle_chinese_chars", 1, &bn->handle_chinese_chars, path, err) ||
        read_flag(json, "lowercase", 1, &bn->lowercase, path, err))
        return -1;
    // strip_accents: Option<bool>; None means "strip when lowercasing" (BertNormalizer::normalize).
    return read_flag(json, "strip_accents", bn->lowercase, &bn->strip_accents, path, err);
}

static int append_cp(fc_textbuf *out, int32_t cp, fc_error *err) {
    char buf[4];
    return fc_textbuf_try_append(out, buf, (size_t)fc_utf8_encode(cp, buf), err);
}

// clean_text and handle_chinese_chars, both one character at a time.
static int clean_and_pad(const fc_bert_normalizer *bn, const char *text, size_t len, fc_textbuf *out,
                         fc_error *err) {
    out->len = 0;
    if (fc_textbuf_try_reserve(out, len + len / 4, err) != 0) return -1;
    for (size_t i = 0; i < len;) {
        int32_t cp;
        i += (size_t)fc_utf8_decode(text + i, &cp);
        if (bn->clean_text) {
            if (cp == 0 || cp == 0xFFFD || fc_bert_is_control(cp)) continue;
            if (fc_bert_is_whitespace(cp)) cp = ' ';
        }
        int rc;
        if (bn->handle_chinese_chars && fc_bert_is_chinese_char(cp))
            rc = fc_textbuf_try_append(out, " ", 1, err) || append_cp(out, cp, err) ||
                 fc_textbuf_try_append(out, " ", 1, err);
        else
            rc = append_cp(out, cp, err);
        if (rc) return -1;
    }
    return 0;
}

// strip_accents' filter and lowercase, both one character at a time, in that order.
static int unmark_and_lower(const fc_bert_normalizer *bn, const char *text, size_t len, fc_textbuf *out,
                            fc_error *err) {
    out->len = 0;
    if (fc_textbuf_try_reserve(out, len + len / 4, err) != 0) return -1;
    for (size_t i = 0; i < len;) {
        int32_t cp;
        i += (size_t)fc_utf8_decode(text + i, &cp);
        if (bn->strip_accents && fc_bert_is_nonspacing_mark(cp)) continue;
        if (!bn->lowercase) {
            if (append_cp(out, cp, err) != 0) return -1;
            continue;
        }
        int32_t lower[2];
        int n = fc_bert_to_lower(cp, lower);
        for (int k = 0; k < n; k++)
            if (append_cp(out, lower[k], err) != 0) return -1;
    }
    return 0;
}

int fc_bert_normalize(const fc_bert_normalizer *bn, const char *text, size_t len, fc_textbuf *out,
                      fc_error *err) {
    fc_textbuf cleaned = {0};
    int rc = clean_and_pad(bn, text, len, &cleaned, err);
    if (rc == 0 && bn->strip_accents && !fc_utf8_is_ascii(cleaned.data, cleaned.len)) {
        // NFD (ASCII text is its own NFD form, so most text skips utf8proc).
        utf8proc_uint8_t *nfd = NULL;
        utf8proc_ssize_t n = utf8proc_map((const utf8proc_uint8_t *)cleaned.data, (utf8proc_ssize_t)cleaned.len,
                                          &nfd, UTF8PROC_STABLE | UTF8PROC_DECOMPOSE);
        if (n == UTF8PROC_ERROR_NOMEM) // utf8proc's buffer holds at least 4 bytes per code point
            rc = fc_fail_out_of_memory(err, "NFD normalization", cleaned.len * 4);
        else if (n < 0)
            rc = fc_fail(err, "NFD normalization failed: %s", utf8proc_errmsg(n));
        else
            rc = unmark_and_lower(bn, (const char *)nfd, (size_t)n, out, err);
        free(nfd);
    } else if (rc == 0) {
        rc = unmark_and_lower(bn, cleaned.data, cleaned.len, out, err);
    }
    fc_textbuf_free(&cleaned);
    return rc;
}
