#include "curate/normalize.h"

#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

#include "util/error.h"

// ASCII character classes of the key: most text is ASCII, and a table lookup per byte is what
// keeps dedupe at millions of rows a second. Punctuation here is the ASCII members of Unicode's
// P* categories plus the backtick, which is category Sk but is PTB tokenization's opening quote
// (``like this''); the symbols $ + < = > ^ | ~ stay.
enum { ASCII_KEEP = 0, ASCII_SPACE = 1, ASCII_PUNCT = 2 };

static unsigned char ascii_class(unsigned char c) {
    switch (c) {
    case ' ': case '\t': case '\n': case '\v': case '\f': case '\r':
        return ASCII_SPACE;
    case '!': case '"': case '#': case '%': case '&': case '\'': case '(': case ')': case '*':
    case ',': case '-': case '.': case '/': case ':': case ';': case '?': case '@': case '[':
    case '\\': case ']': case '_': case '{': case '}': case '`':
        return ASCII_PUNCT;
    default:
        return ASCII_KEEP;
    }
}

// Unicode White_Space above ASCII (PropList.txt).
static int is_unicode_space(utf8proc_int32_t cp) {
    return cp == 0x85 || cp == 0xA0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) ||
           cp == 0x2028 || cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x3000;
}

static int is_unicode_punct(utf8proc_int32_t cp) {
    if (cp == 0xB4) return 1; // ACUTE ACCENT (Sk), typed for an apostrophe as ` is for a quote
    switch (utf8proc_category(cp)) {
    case UTF8PROC_CATEGORY_PC: case UTF8PROC_CATEGORY_PD: case UTF8PROC_CATEGORY_PS:
    case UTF8PROC_CATEGORY_PE: case UTF8PROC_CATEGORY_PI: case UTF8PROC_CATEGORY_PF:
    case UTF8PROC_CATEGORY_PO:
        return 1;
    default:
        return 0;
    }
}

static int has_non_ascii(const char *text, size_t length) {
    for (size_t i = 0; i < length; i++)
        if ((unsigned char)text[i] >= 0x80) return 1;
    return 0;
}

// text[0..length) through utf8proc with the given options (NFC, and case folding for keys):
// a malloc'ed result in *mapped, or -1 on invalid UTF-8.
static int map_unicode(const char *text, size_t length, int fold, char **mapped,
                       size_t *mapped_length, fc_error *err) {
    utf8proc_uint8_t *out = NULL;
    utf8proc_option_t options = UTF8PROC_STABLE | UTF8PROC_COMPOSE;
    if (fold) options |= UTF8PROC_CASEFOLD;
    utf8proc_ssize_t got =
        utf8proc_map((const utf8proc_uint8_t *)text, (utf8proc_ssize_t)length, &out, options);
    if (got < 0) return fc_fail(err, "cannot normalize text: %s", utf8proc_errmsg(got));
    *mapped = (char *)out;
    *mapped_length = (size_t)got;
    return 0;
}

// The length of a PTB bracket token at p (-LRB- -RRB- -LSB- -RSB- -LCB- -RCB-, any case),
// else 0. Tokenized copies (TextFooler's MNLI rows) write "(" and ")" that way.
static size_t ptb_bracket_length(const unsigned char *p, const unsigned char *end) {
    if (end - p < 5 || p[0] != '-' || p[4] != '-') return 0;
    int side = p[1] | 0x20, kind = p[2] | 0x20, b = p[3] | 0x20;
    if ((side == 'l' || side == 'r') && (kind == 'r' || kind == 's' || kind == 'c') && b == 'b')
        return 5;
    return 0;
}

// Copies text to out with whitespace runs made one space and the ends trimmed. With key set,
// it also lowercases ASCII, drops punctuation (and PTB bracket tokens) and drops whitespace
// altogether: PTB tokenization splits words as well as punctuation ("ca n't", "John 's",
// "can not" for "cannot"), and a copy of an evaluation pair tokenized that way must still meet
// its raw original. Returns -1 on invalid UTF-8.
static int collapse(const char *text, size_t length, int key, fc_textbuf *out) {
    const unsigned char *p = (const unsigned char *)text, *end = p + length;
    size_t start_len = out->len;
    int pending_space = 0;
    fc_textbuf_reserve(out, length + 1);
    while (p < end) {
        unsigned char c = *p;
        size_t width = 1;
        int space, punct;
        if (key && c == '-' && ptb_bracket_length(p, end)) {
            p += 5;
            continue;
        }
        if (c < 0x80) {
            unsigned char class = ascii_class(c);
            space = class == ASCII_SPACE;
            punct = key && class == ASCII_PUNCT;
            if (key && c >= 'A' && c <= 'Z') c = (unsigned char)(c + ('a' - 'A'));
        } else {
            utf8proc_int32_t cp;
            utf8proc_ssize_t got = utf8proc_iterate(p, end - p, &cp);
            if (got <= 0) return -1;
            width = (size_t)got;
            space = is_unicode_space(cp);
            punct = key && !space && is_unicode_punct(cp);
        }
        if (space) {
            pending_space = !key && out->len > start_len;
        } else if (!punct) {
            if (pending_space) out->data[out->len++] = ' ';
            pending_space = 0;
            if (width == 1) out->data[out->len++] = (char)c;
            else fc_textbuf_append(out, (const char *)p, width);
        }
        p += width;
    }
    return 0;
}

int fc_curate_normalize_text(const char *text, fc_textbuf *out, int *changed, fc_error *err) {
    size_t length = strlen(text);
    char *nfc = NULL;
    size_t nfc_length = length;
    if (has_non_ascii(text, length) && map_unicode(text, length, 0, &nfc, &nfc_length, err) != 0)
        return -1;
    out->len = 0;
    int status = collapse(nfc ? nfc : text, nfc_length, 0, out);
    free(nfc);
    if (status != 0) return fc_fail(err, "cannot normalize text: invalid UTF-8");
    fc_textbuf_reserve(out, 1);
    out->data[out->len] = '\0';
    if (changed) *changed = out->len != length || memcmp(out->data, text, length) != 0;
    return 0;
}

int fc_curate_dedupe_key(const char *text, size_t length, fc_textbuf *out, fc_error *err) {
    char *folded = NULL;
    size_t folded_length = length;
    if (has_non_ascii(text, length) &&
        map_unicode(text, length, 1, &folded, &folded_length, err) != 0)
        return -1;
    int status = collapse(folded ? folded : text, folded_length, 1, out);
    free(folded);
    if (status != 0) return fc_fail(err, "cannot make a dedupe key: invalid UTF-8");
    return 0;
}

int fc_curate_pair_key(const char *premise, const char *hypothesis, fc_textbuf *out,
                       fc_error *err) {
    out->len = 0;
    if (fc_curate_dedupe_key(premise, strlen(premise), out, err) != 0)
        return fc_fail_prefix(err, "premise");
    fc_textbuf_append(out, "\xff", 1);
    if (fc_curate_dedupe_key(hypothesis, strlen(hypothesis), out, err) != 0)
        return fc_fail_prefix(err, "hypothesis");
    return 0;
}
