#include "tokenizer/replace.h"

#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"
#include "util/error.h"

int fc_replace_init(fc_replace *r, const char *pattern, int is_regex, const char *content,
                    const char *what, fc_error *err) {
    memset(r, 0, sizeof *r);
    if (is_regex) {
        int code;
        PCRE2_SIZE offset;
        r->regex = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED, PCRE2_UTF | PCRE2_UCP, &code,
                                 &offset, NULL);
        if (!r->regex) {
            PCRE2_UCHAR msg[256];
            pcre2_get_error_message(code, msg, sizeof msg);
            return fc_fail(err, "%s: Replace regex \"%s\" does not compile at %zu: %s", what, pattern,
                           (size_t)offset, (const char *)msg);
        }
        // JIT is a speed-up only; the interpreter gives the same matches.
        pcre2_jit_compile(r->regex, PCRE2_JIT_COMPLETE);
    } else {
        r->literal = fc_strdup(pattern);
        r->literal_len = strlen(pattern);
    }
    r->content = fc_strdup(content);
    r->content_len = strlen(content);
    return 0;
}

void fc_replace_free(fc_replace *r) {
    free(r->literal);
    free(r->content);
    if (r->regex) pcre2_code_free(r->regex);
    memset(r, 0, sizeof *r);
}

// The String pattern: str::match_indices (non-overlapping, left to right). An empty pattern
// matches nothing, as tokenizers' Pattern for &str has it.
static int replace_literal(const fc_replace *r, const char *text, size_t len, fc_textbuf *out, fc_error *err) {
    size_t pos = 0;
    while (r->literal_len && pos + r->literal_len <= len) {
        const char *hit = memmem(text + pos, len - pos, r->literal, r->literal_len);
        if (!hit) break;
        size_t at = (size_t)(hit - text);
        if (fc_textbuf_try_append(out, text + pos, at - pos, err) ||
            fc_textbuf_try_append(out, r->content, r->content_len, err))
            return -1;
        pos = at + r->literal_len;
    }
    return fc_textbuf_try_append(out, text + pos, len - pos, err);
}

static int replace_regex(const fc_replace *r, const char *text, size_t len, fc_textbuf *out, fc_error *err) {
    pcre2_match_data *match = pcre2_match_data_create_from_pattern(r->regex, NULL);
    // PCRE2 allocates the match data with malloc, NULL when it cannot: an ovector of two
    // offsets per group of the pattern (at least the whole match).
    if (!match) return fc_fail_out_of_memory(err, "the Replace regex's match data", 2 * sizeof(PCRE2_SIZE));
    size_t pos = 0;
    int rc = 0;
    while (pos <= len && rc == 0) {
        int n = pcre2_match(r->regex, (PCRE2_SPTR)text, len, pos, PCRE2_NO_UTF_CHECK, match, NULL);
        if (n == PCRE2_ERROR_NOMATCH) break;
        if (n < 0) {
            PCRE2_UCHAR msg[256];
            pcre2_get_error_message(n, msg, sizeof msg);
            rc = fc_fail(err, "Replace regex failed at byte %zu: %s", pos, (const char *)msg);
            break;
        }
        PCRE2_SIZE *ov = pcre2_get_ovector_pointer(match);
        size_t start = ov[0], end = ov[1];
        if (fc_textbuf_try_append(out, text + pos, start - pos, err) ||
            fc_textbuf_try_append(out, r->content, r->content_len, err)) {
            rc = -1;
            break;
        }
        if (end == start) { // an empty match: keep the next character and move past it
            if (end == len) {
                pos = len + 1;
                break;
            }
            size_t next = end + 1;
            while (next < len && ((unsigned char)text[next] & 0xC0) == 0x80) next++;
            rc = fc_textbuf_try_append(out, text + end, next - end, err);
            end = next;
        }
        pos = end;
    }
    if (rc == 0 && pos < len) rc = fc_textbuf_try_append(out, text + pos, len - pos, err);
    pcre2_match_data_free(match);
    return rc;
}

int fc_replace_apply(const fc_replace *r, const char *text, size_t len, fc_textbuf *out, fc_error *err) {
    out->len = 0;
    if (r->regex) return replace_regex(r, text, len, out, err);
    return replace_literal(r, text, len, out, err);
}
