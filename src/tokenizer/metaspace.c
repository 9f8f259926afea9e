#include "tokenizer/metaspace.h"

#include <string.h>

#include "tokenizer/utf8.h"
#include "util/error.h"

int fc_metaspace_load(fc_metaspace *ms, const cJSON *json, const char *path, fc_error *err) {
    memset(ms, 0, sizeof *ms);
    const cJSON *rep = cJSON_GetObjectItemCaseSensitive(json, "replacement");
    const cJSON *scheme = cJSON_GetObjectItemCaseSensitive(json, "prepend_scheme");
    const cJSON *add_prefix = cJSON_GetObjectItemCaseSensitive(json, "add_prefix_space");
    const cJSON *split = cJSON_GetObjectItemCaseSensitive(json, "split");
    // The replacement is a Rust char: exactly one character.
    const char *r = cJSON_IsString(rep) ? rep->valuestring : NULL;
    size_t bad;
    if (!r || !r[0] || !fc_utf8_valid(r, strlen(r), &bad)) {
        return fc_fail(err, "%s: pre_tokenizer Metaspace needs a \"replacement\" character", path);
    }
    int32_t cp;
    int n = fc_utf8_decode(r, &cp);
    if (r[n] != '\0')
        return fc_fail(err, "%s: pre_tokenizer Metaspace \"replacement\" \"%s\" is more than one character",
                       path, r);
    memcpy(ms->replacement, r, (size_t)n);
    ms->replacement_len = (size_t)n;
    if (cJSON_IsString(scheme)) {
        if (strcmp(scheme->valuestring, "always") == 0) ms->prepend_scheme = FC_PREPEND_ALWAYS;
        else if (strcmp(scheme->valuestring, "first") == 0) ms->prepend_scheme = FC_PREPEND_FIRST;
        else if (strcmp(scheme->valuestring, "never") == 0) ms->prepend_scheme = FC_PREPEND_NEVER;
        else
            return fc_fail(err, "%s: pre_tokenizer Metaspace prepend_scheme \"%s\" is not one of always, "
                           "first, never", path, scheme->valuestring);
    } else {
        // The legacy field; tokenizers' default is always.
        ms->prepend_scheme = cJSON_IsFalse(add_prefix) ? FC_PREPEND_NEVER : FC_PREPEND_ALWAYS;
    }
    ms->split = cJSON_IsBool(split) ? cJSON_IsTrue(split) : 1;
    return 0;
}

static int starts_with(const char *text, size_t len, const char *prefix, size_t prefix_len) {
    return len >= prefix_len && memcmp(text, prefix, prefix_len) == 0;
}

int fc_metaspace_rewrite(const fc_metaspace *ms, const char *text, size_t len, int starts_text,
                         fc_textbuf *buf, fc_error *err) {
    buf->len = 0;
    if (fc_textbuf_try_reserve(buf, len + 3 * ms->replacement_len + len / 2, err) != 0) return -1;
    // The check for an existing replacement looks at the text after spaces are replaced, so a
    // leading ' ' counts as one.
    int has_prefix = len > 0 && (text[0] == ' ' || starts_with(text, len, ms->replacement, ms->replacement_len));
    int prepend = ms->prepend_scheme == FC_PREPEND_ALWAYS ||
                  (ms->prepend_scheme == FC_PREPEND_FIRST && starts_text);
    if (prepend && !has_prefix && fc_textbuf_try_append(buf, ms->replacement, ms->replacement_len, err) != 0)
        return -1;
    size_t start = 0;
    for (size_t i = 0; i < len; i++) {
        if (text[i] != ' ') continue;
        if (fc_textbuf_try_append(buf, text + start, i - start, err) ||
            fc_textbuf_try_append(buf, ms->replacement, ms->replacement_len, err))
            return -1;
        start = i + 1;
    }
    return fc_textbuf_try_append(buf, text + start, len - start, err);
}

size_t fc_metaspace_word_len(const fc_metaspace *ms, const char *text, size_t len) {
    if (!ms->split || len == 0) return len;
    int32_t cp;
    size_t first = (size_t)fc_utf8_decode(text, &cp);
    // A byte match of the replacement inside another character cannot happen in valid UTF-8:
    // lead bytes never occur as continuation bytes.
    const char *hit = first < len ? memmem(text + first, len - first, ms->replacement, ms->replacement_len) : NULL;
    return hit ? (size_t)(hit - text) : len;
}
