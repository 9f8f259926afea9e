#include "tokenizer/normalizer.h"

#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "tokenizer/base64.h"
#include "tokenizer/utf8.h"
#include "util/alloc.h"
#include "util/error.h"

static int load_replace(fc_normalizer *norm, const cJSON *json, const char *path, fc_error *err);
static int load_precompiled(fc_normalizer *norm, const cJSON *json, const char *path, fc_error *err);

int fc_normalizer_load(fc_normalizer *norm, const cJSON *json, const char *path, fc_error *err) {
    memset(norm, 0, sizeof *norm);
    if (!json || cJSON_IsNull(json)) return 0;
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(json, "type");
    if (!cJSON_IsString(type)) return fc_fail(err, "%s: normalizer has no \"type\"", path);
    if (strcmp(type->valuestring, "NFC") == 0) {
        norm->kind = FC_NORMALIZER_NFC;
        return 0;
    }
    if (strcmp(type->valuestring, "Sequence") == 0) {
        const cJSON *list = cJSON_GetObjectItemCaseSensitive(json, "normalizers");
        if (!cJSON_IsArray(list)) return fc_fail(err, "%s: normalizer Sequence has no \"normalizers\" array", path);
        norm->kind = FC_NORMALIZER_SEQUENCE;
        norm->steps = fc_calloc((size_t)cJSON_GetArraySize(list) + 1, sizeof *norm->steps);
        for (const cJSON *item = list->child; item; item = item->next) {
            if (fc_normalizer_load(&norm->steps[norm->step_count], item, path, err)) {
                fc_normalizer_free(&norm->steps[norm->step_count]); // what the failed step holds
                fc_normalizer_free(norm);
                return -1;
            }
            norm->step_count++;
        }
        return 0;
    }
    if (strcmp(type->valuestring, "Strip") == 0) {
        // tokenizers' Strip: both flags default to true.
        const cJSON *l = cJSON_GetObjectItemCaseSensitive(json, "strip_left");
        const cJSON *r = cJSON_GetObjectItemCaseSensitive(json, "strip_right");
        fc_normalizer_init_strip(norm, cJSON_IsBool(l) ? cJSON_IsTrue(l) : 1, cJSON_IsBool(r) ? cJSON_IsTrue(r) : 1);
        return 0;
    }
    if (strcmp(type->valuestring, "Lowercase") == 0) {
        fc_normalizer_init_lowercase(norm);
        return 0;
    }
    if (strcmp(type->valuestring, "Replace") == 0) return load_replace(norm, json, path, err);
    if (strcmp(type->valuestring, "Precompiled") == 0) return load_precompiled(norm, json, path, err);
    if (strcmp(type->valuestring, "BertNormalizer") == 0) {
        norm->kind = FC_NORMALIZER_BERT;
        return fc_bert_normalizer_load(&norm->bert, json, path, err);
    }
    return fc_fail(err, "%s: normalizer type \"%s\" is not supported (supported: NFC, Strip, Lowercase, "
                   "Replace, Precompiled, BertNormalizer, Sequence, null)", path, type->valuestring);
}

// {"type": "Replace", "pattern": {"String": s} | {"Regex": r}, "content": c}
static int load_replace(fc_normalizer *norm, const cJSON *json, const char *path, fc_error *err) {
    const cJSON *pattern = cJSON_GetObjectItemCaseSensitive(json, "pattern");
    const cJSON *content = cJSON_GetObjectItemCaseSensitive(json, "content");
    const cJSON *literal = cJSON_GetObjectItemCaseSensitive(pattern, "String");
    const cJSON *regex = cJSON_GetObjectItemCaseSensitive(pattern, "Regex");
    if (!cJSON_IsString(content) || !(cJSON_IsString(literal) || cJSON_IsString(regex)))
        return fc_fail(err, "%s: normalizer Replace needs \"pattern\" ({\"String\": ...} or "
                       "{\"Regex\": ...}) and a \"content\" string", path);
    return fc_normalizer_init_replace(norm, cJSON_IsString(regex) ? regex->valuestring : literal->valuestring,
                                      cJSON_IsString(regex), content->valuestring, path, err);
}

// {"type": "Precompiled", "precompiled_charsmap": base64}
static int load_precompiled(fc_normalizer *norm, const cJSON *json, const char *path, fc_error *err) {
    const cJSON *map = cJSON_GetObjectItemCaseSensitive(json, "precompiled_charsmap");
    if (!cJSON_IsString(map))
        return fc_fail(err, "%s: normalizer Precompiled has no \"precompiled_charsmap\" string", path);
    unsigned char *blob;
    size_t len;
    if (fc_base64_decode(map->valuestring, strlen(map->valuestring), &blob, &len, err)) {
        if (fc_error_is_out_of_memory(err)) return fc_fail_prefix(err, "%s: normalizer Precompiled", path);
        return fc_fail(err, "%s: normalizer Precompiled: precompiled_charsmap is not valid base64", path);
    }
    int rc = fc_normalizer_init_precompiled(norm, blob, len, path, err);
    free(blob);
    return rc;
}

void fc_normalizer_init_sequence(fc_normalizer *norm, int count) {
    memset(norm, 0, sizeof *norm);
    norm->kind = FC_NORMALIZER_SEQUENCE;
    norm->steps = fc_calloc((size_t)count + 1, sizeof *norm->steps);
    norm->step_count = count;
}

void fc_normalizer_init_strip(fc_normalizer *norm, int left, int right) {
    memset(norm, 0, sizeof *norm);
    norm->kind = FC_NORMALIZER_STRIP;
    norm->strip_left = left;
    norm->strip_right = right;
}

void fc_normalizer_init_lowercase(fc_normalizer *norm) {
    memset(norm, 0, sizeof *norm);
    norm->kind = FC_NORMALIZER_LOWERCASE;
}

int fc_normalizer_init_replace(fc_normalizer *norm, const char *pattern, int is_regex, const char *content,
                               const char *what, fc_error *err) {
    memset(norm, 0, sizeof *norm);
    norm->kind = FC_NORMALIZER_REPLACE;
    norm->replace = fc_calloc(1, sizeof *norm->replace);
    return fc_replace_init(norm->replace, pattern, is_regex, content, what, err);
}

int fc_normalizer_init_precompiled(fc_normalizer *norm, const unsigned char *charsmap, size_t len,
                                   const char *what, fc_error *err) {
    memset(norm, 0, sizeof *norm);
    norm->kind = FC_NORMALIZER_PRECOMPILED;
    if (len == 0) return 0; // an empty charsmap maps nothing
    norm->precompiled = fc_calloc(1, sizeof *norm->precompiled);
    return fc_precompiled_load(norm->precompiled, charsmap, len, what, err);
}

void fc_normalizer_free(fc_normalizer *norm) {
    for (int i = 0; i < norm->step_count; i++) fc_normalizer_free(&norm->steps[i]);
    free(norm->steps);
    if (norm->replace) fc_replace_free(norm->replace);
    free(norm->replace);
    if (norm->precompiled) fc_precompiled_free(norm->precompiled);
    free(norm->precompiled);
    memset(norm, 0, sizeof *norm);
}

int fc_normalizer_is_identity(const fc_normalizer *norm) {
    if (norm->kind == FC_NORMALIZER_NONE) return 1;
    if (norm->kind == FC_NORMALIZER_PRECOMPILED && !norm->precompiled) return 1;
    if (norm->kind != FC_NORMALIZER_SEQUENCE) return 0;
    for (int i = 0; i < norm->step_count; i++)
        if (!fc_normalizer_is_identity(&norm->steps[i])) return 0;
    return 1;
}

// utf8proc allocates with malloc and says UTF8PROC_ERROR_NOMEM when it cannot: that is out of
// memory like any other (its buffer holds at least 4 bytes per code point of text).
static int utf8proc_failed(utf8proc_ssize_t code, const char *what, size_t len, fc_error *err) {
    if (code == UTF8PROC_ERROR_NOMEM) return fc_fail_out_of_memory(err, what, len * 4);
    return fc_fail(err, "%s failed: %s", what, utf8proc_errmsg(code));
}

static int copy(const char *text, size_t len, fc_textbuf *out, fc_error *err) {
    out->len = 0;
    return fc_textbuf_try_append(out, text, len, err);
}

static int nfc(const char *text, size_t len, fc_textbuf *out, fc_error *err) {
    // ASCII text is its own NFC form; most NLI text is ASCII, so skip utf8proc there.
    if (fc_utf8_is_ascii(text, len)) return copy(text, len, out, err);
    utf8proc_uint8_t *mapped = NULL;
    utf8proc_ssize_t n = utf8proc_map((const utf8proc_uint8_t *)text, (utf8proc_ssize_t)len, &mapped,
                                      UTF8PROC_STABLE | UTF8PROC_COMPOSE);
    if (n < 0) return utf8proc_failed(n, "NFC normalization", len, err);
    int rc = copy((const char *)mapped, (size_t)n, out, err);
    free(mapped);
    return rc;
}

// Strip: trims White_Space (Rust char::is_whitespace) from the chosen ends.
static int strip(const fc_normalizer *norm, const char *text, size_t len, fc_textbuf *out, fc_error *err) {
    size_t start = 0, end = len;
    while (norm->strip_left && start < end) {
        int32_t cp;
        int n = fc_utf8_decode(text + start, &cp);
        if (!fc_unicode_is_white_space(cp)) break;
        start += (size_t)n;
    }
    while (norm->strip_right && end > start) {
        int32_t cp;
        int n = fc_utf8_decode_before(text, end, &cp);
        if (!fc_unicode_is_white_space(cp)) break;
        end -= (size_t)n;
    }
    return copy(text + start, end - start, out, err);
}

// Lowercase: Rust's char::to_lowercase on every character. That is the simple lowercase
// mapping (utf8proc_tolower) except for the one unconditional multi-character mapping of
// SpecialCasing.txt, U+0130 -> "i" U+0307.
static int lowercase(const char *text, size_t len, fc_textbuf *out, fc_error *err) {
    out->len = 0;
    if (fc_textbuf_try_reserve(out, len + len / 2, err) != 0) return -1;
    for (size_t i = 0; i < len;) {
        unsigned char c = (unsigned char)text[i];
        if (c < 0x80) {
            char lower = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
            if (fc_textbuf_try_append(out, &lower, 1, err) != 0) return -1;
            i++;
            continue;
        }
        int32_t cp;
        i += (size_t)fc_utf8_decode(text + i, &cp);
        char buf[8];
        int n;
        if (cp == 0x130) {
            n = fc_utf8_encode('i', buf);
            n += fc_utf8_encode(0x307, buf + n);
        } else {
            n = fc_utf8_encode(utf8proc_tolower(cp), buf);
        }
        if (fc_textbuf_try_append(out, buf, (size_t)n, err) != 0) return -1;
    }
    return 0;
}

int fc_normalize(const fc_normalizer *norm, const char *text, size_t len, fc_textbuf *out,
                 fc_error *err) {
    switch (norm->kind) {
    case FC_NORMALIZER_NONE:
        return copy(text, len, out, err);
    case FC_NORMALIZER_NFC:
        return nfc(text, len, out, err);
    case FC_NORMALIZER_STRIP:
        return strip(norm, text, len, out, err);
    case FC_NORMALIZER_LOWERCASE:
        return lowercase(text, len, out, err);
    case FC_NORMALIZER_REPLACE:
        return fc_replace_apply(norm->replace, text, len, out, err);
    case FC_NORMALIZER_PRECOMPILED:
        if (norm->precompiled) return fc_precompiled_normalize(norm->precompiled, text, len, out, err);
        return copy(text, len, out, err);
    case FC_NORMALIZER_BERT:
        return fc_bert_normalize(&norm->bert, text, len, out, err);
    case FC_NORMALIZER_SEQUENCE: {
        if (copy(text, len, out, err) != 0) return -1;
        fc_textbuf tmp = {0};
        int rc = 0;
        for (int i = 0; i < norm->step_count && rc == 0; i++) {
            rc = fc_normalize(&norm->steps[i], out->data, out->len, &tmp, err);
            fc_textbuf swap = *out;
            *out = tmp;
            tmp = swap;
        }
        fc_textbuf_free(&tmp);
        return rc;
    }
    }
    return fc_fail(err, "unknown normalizer kind %d", (int)norm->kind);
}
