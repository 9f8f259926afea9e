// Python's str.format with one str argument (CPython Objects/stringlib/unicode_format.h and
// Python/formatter_unicode.c, for a str value), and the pipeline's label-string split.
#include "tasks/zeroshot_template.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

#include "tokenizer/textbuf.h"
#include "tokenizer/utf8.h"
#include "util/alloc.h"
#include "util/error.h"

// ---------------------------------------------------------------------------------------------
// Conversions !r and !a: repr() and ascii() of a str.

// str.isprintable(): not printable are the categories Cc, Cf, Cs, Co, Cn, Zl, Zp and Zs, except
// the ASCII space (CPython _PyUnicode_IsPrintable).
static int py_isprintable(int32_t cp) {
    if (cp == ' ') return 1;
    switch (utf8proc_category(cp)) {
    case UTF8PROC_CATEGORY_CC:
    case UTF8PROC_CATEGORY_CF:
    case UTF8PROC_CATEGORY_CS:
    case UTF8PROC_CATEGORY_CO:
    case UTF8PROC_CATEGORY_CN:
    case UTF8PROC_CATEGORY_ZL:
    case UTF8PROC_CATEGORY_ZP:
    case UTF8PROC_CATEGORY_ZS:
        return 0;
    default:
        return 1;
    }
}

static void append_escape(fc_textbuf *out, int32_t cp) {
    char esc[16];
    if (cp < 0x100)
        snprintf(esc, sizeof esc, "\\x%02x", (unsigned)cp);
    else if (cp < 0x10000)
        snprintf(esc, sizeof esc, "\\u%04x", (unsigned)cp);
    else
        snprintf(esc, sizeof esc, "\\U%08x", (unsigned)cp);
    fc_textbuf_append(out, esc, strlen(esc));
}

// repr(s) (ascii_only = 0) or ascii(s) (ascii_only = 1), CPython unicode_repr: single quotes
// unless the text holds a single quote and no double quote.
static void append_repr(fc_textbuf *out, const char *s, size_t len, int ascii_only) {
    int has_single = memchr(s, '\'', len) != NULL, has_double = memchr(s, '"', len) != NULL;
    char quote = has_single && !has_double ? '"' : '\'';
    fc_textbuf_append(out, &quote, 1);
    for (size_t i = 0; i < len;) {
        int32_t cp;
        int n = fc_utf8_decode(s + i, &cp);
        if (cp == quote || cp == '\\') {
            char esc[2] = {'\\', (char)cp};
            fc_textbuf_append(out, esc, 2);
        } else if (cp == '\t') {
            fc_textbuf_append(out, "\\t", 2);
        } else if (cp == '\n') {
            fc_textbuf_append(out, "\\n", 2);
        } else if (cp == '\r') {
            fc_textbuf_append(out, "\\r", 2);
        } else if (cp < ' ' || cp == 0x7f) {
            append_escape(out, cp);
        } else if (cp < 0x7f || (!ascii_only && py_isprintable(cp))) {
            fc_textbuf_append(out, s + i, (size_t)n);
        } else {
            append_escape(out, cp);
        }
        i += (size_t)n;
    }
    fc_textbuf_append(out, &quote, 1);
}

// ---------------------------------------------------------------------------------------------
// The format spec of a str value: [[fill]align][0][width][.precision][s]

typedef struct str_spec {
    char fill[5]; // one code point, UTF-8
    char align;   // '<', '>' or '^'
    long width;   // -1: none
    long precision;
} str_spec;

static int is_align(char c) {
    return c == '<' || c == '>' || c == '^' || c == '=';
}

static int parse_number(const char **p, const char *end, long *out) {
    long v = 0;
    int digits = 0;
    while (*p < end && **p >= '0' && **p <= '9') {
        if (v > 100000000) return -1; // Python: "Too many decimal digits in format string"
        v = v * 10 + (**p - '0');
        (*p)++;
        digits++;
    }
    *out = digits ? v : -1;
    return 0;
}

static int parse_str_spec(const char *spec, size_t len, str_spec *out, fc_error *err) {
    const char *p = spec, *end = spec + len;
    strcpy(out->fill, " ");
    out->align = '<'; // default alignment of strings
    out->width = out->precision = -1;
    int fill_given = 0;
    // [[fill]align]: the fill is any one code point when an align character follows it.
    if (p < end) {
        int32_t cp;
        int n = fc_utf8_decode(p, &cp);
        if (p + n < end && is_align(p[n])) {
            memcpy(out->fill, p, (size_t)n);
            out->fill[n] = '\0';
            out->align = p[n];
            fill_given = 1;
            p += n + 1;
        } else if (is_align(*p)) {
            out->align = *p++;
        }
    }
    if (p < end && (*p == '+' || *p == '-' || *p == ' '))
        return fc_fail(err, "Sign not allowed in string format specifier");
    if (p < end && *p == 'z')
        return fc_fail(err, "Negative zero coercion (z) not allowed in string format specifier");
    if (p < end && *p == '#')
        return fc_fail(err, "Alternate form (#) not allowed in string format specifier");
    // '0' before the width sets the fill to '0' unless a fill was given; strings keep their
    // left alignment (CPython: the '=' default applies to numbers only).
    if (p < end && *p == '0') {
        if (!fill_given) strcpy(out->fill, "0");
        p++;
    }
    if (parse_number(&p, end, &out->width) != 0)
        return fc_fail(err, "Too many decimal digits in format string");
    if (p < end && (*p == ',' || *p == '_'))
        return fc_fail(err, "Cannot specify '%c' with 's'.", *p);
    if (p < end && *p == '.') {
        p++;
        if (parse_number(&p, end, &out->precision) != 0)
            return fc_fail(err, "Too many decimal digits in format string");
        if (out->precision < 0) return fc_fail(err, "Format specifier missing precision");
    }
    if (end - p > 1) return fc_fail(err, "Invalid format specifier '%.*s' for object of type 'str'",
                                    (int)len, spec);
    if (p < end && *p != 's')
        return fc_fail(err, "Unknown format code '%c' for object of type 'str'", *p);
    if (out->align == '=')
        return fc_fail(err, "'=' alignment not allowed in string format specifier");
    return 0;
}

static size_t count_code_points(const char *s, size_t len) {
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        if (((unsigned char)s[i] & 0xC0) != 0x80) n++;
    return n;
}

// Byte length of the first max_chars code points of s.
static size_t prefix_bytes(const char *s, size_t len, size_t max_chars) {
    size_t chars = 0, i = 0;
    while (i < len && chars < max_chars) {
        i++;
        while (i < len && ((unsigned char)s[i] & 0xC0) == 0x80) i++;
        chars++;
    }
    return i;
}

static void append_fill(fc_textbuf *out, const char *fill, size_t count) {
    for (size_t i = 0; i < count; i++) fc_textbuf_append(out, fill, strlen(fill));
}

static void append_formatted(fc_textbuf *out, const char *value, size_t len, const str_spec *spec) {
    if (spec->precision >= 0) len = prefix_bytes(value, len, (size_t)spec->precision);
    size_t chars = count_code_points(value, len);
    size_t pad = spec->width > 0 && (size_t)spec->width > chars ? (size_t)spec->width - chars : 0;
    size_t left = spec->align == '>' ? pad : spec->align == '^' ? pad / 2 : 0;
    append_fill(out, spec->fill, left);
    fc_textbuf_append(out, value, len);
    append_fill(out, spec->fill, pad - left);
}

// ---------------------------------------------------------------------------------------------
// Replacement fields

typedef struct field_state {
    int auto_numbering; // -1 unknown yet, 1 "{}", 0 "{0}"
    int next_auto;
} field_state;

// The value of a field name: the argument itself, or one character of it per "[N]" accessor.
// Sets *value/*len to a range of arg, or of char_buf for an indexed character.
static int resolve_field_name(const char *name, size_t name_len, const char *arg,
                              field_state *state, const char **value, size_t *len,
                              fc_error *err) {
    size_t first_end = 0;
    while (first_end < name_len && name[first_end] != '.' && name[first_end] != '[') first_end++;
    int numeric = first_end > 0;
    for (size_t i = 0; i < first_end; i++)
        if (name[i] < '0' || name[i] > '9') numeric = 0;
    if (first_end == 0) {
        if (state->auto_numbering == 0)
            return fc_fail(err, "cannot switch from manual field specification to automatic "
                                "field numbering");
        state->auto_numbering = 1;
        if (state->next_auto++ != 0)
            return fc_fail(err, "Replacement index %d out of range for positional args tuple",
                           state->next_auto - 1);
    } else if (numeric) {
        if (state->auto_numbering == 1)
            return fc_fail(err, "cannot switch from automatic field numbering to manual field "
                                "specification");
        state->auto_numbering = 0;
        for (size_t i = 0; i < first_end; i++)
            if (name[i] != '0')
                return fc_fail(err, "Replacement index %.*s out of range for positional args "
                                    "tuple", (int)first_end, name);
    } else {
        return fc_fail(err, "KeyError: '%.*s' (a template has one positional field)",
                       (int)first_end, name);
    }
    *value = arg;
    *len = strlen(arg);
    // Accessors: "[N]" picks code point N; ".attr" is refused (see the header).
    const char *p = name + first_end, *end = name + name_len;
    while (p < end) {
        if (*p == '.')
            return fc_fail(err, "attribute access in a template field (\"%.*s\") is not "
                                "supported", (int)name_len, name);
        if (*p != '[')
            return fc_fail(err, "Only '.' or '[' may follow ']' in format field specifier");
        const char *close = memchr(p, ']', (size_t)(end - p));
        if (!close) return fc_fail(err, "Missing ']' in format string");
        const char *key = p + 1;
        size_t key_len = (size_t)(close - key);
        if (key_len == 0) return fc_fail(err, "Empty attribute in format string");
        long index = 0;
        for (size_t i = 0; i < key_len; i++) {
            if (key[i] < '0' || key[i] > '9')
                return fc_fail(err, "string indices must be integers, not '%.*s'",
                               (int)key_len, key);
            if (index > 100000000) return fc_fail(err, "string index out of range");
            index = index * 10 + (key[i] - '0');
        }
        if ((size_t)index >= count_code_points(*value, *len))
            return fc_fail(err, "string index out of range");
        size_t start = prefix_bytes(*value, *len, (size_t)index);
        size_t one = prefix_bytes(*value + start, *len - start, 1);
        *value += start;
        *len = one;
        p = close + 1;
    }
    return 0;
}

// Formats one field "{...}" whose inside is field[0..len) (without the braces).
static int format_field(fc_textbuf *out, const char *field, size_t len, const char *arg,
                        field_state *state, fc_error *err) {
    // The field name ends at '!' or ':' outside brackets.
    size_t name_end = 0;
    int in_bracket = 0;
    while (name_end < len) {
        char c = field[name_end];
        if (c == '[') in_bracket = 1;
        if (c == ']') in_bracket = 0;
        if (!in_bracket && (c == '!' || c == ':')) break;
        name_end++;
    }
    char conversion = 0;
    size_t spec_start = len;
    if (name_end < len && field[name_end] == '!') {
        if (name_end + 1 >= len)
            return fc_fail(err, "end of string while looking for conversion specifier");
        conversion = field[name_end + 1];
        if (name_end + 2 < len && field[name_end + 2] != ':')
            return fc_fail(err, "expected ':' after conversion specifier");
        spec_start = name_end + 2 < len ? name_end + 3 : len;
    } else if (name_end < len) {
        spec_start = name_end + 1;
    }
    const char *spec = field + spec_start;
    size_t spec_len = len - spec_start;
    if (memchr(spec, '{', spec_len))
        return fc_fail(err, "replacement fields nested in a format spec are not supported");

    const char *value = arg;
    size_t value_len = 0;
    if (resolve_field_name(field, name_end, arg, state, &value, &value_len, err) != 0) return -1;
    fc_textbuf converted = {0};
    if (conversion == 'r' || conversion == 'a') {
        append_repr(&converted, value, value_len, conversion == 'a');
        value = converted.data;
        value_len = converted.len;
    } else if (conversion != 0 && conversion != 's') {
        return fc_fail(err, "Unknown conversion specifier %c", conversion);
    }
    str_spec parsed;
    int status = parse_str_spec(spec, spec_len, &parsed, err);
    if (status == 0) append_formatted(out, value, value_len, &parsed);
    fc_textbuf_free(&converted);
    return status;
}

static int format_all(fc_textbuf *out, const char *template, const char *arg, fc_error *err) {
    field_state state = {.auto_numbering = -1, .next_auto = 0};
    const char *p = template;
    while (*p) {
        if (*p == '}') {
            if (p[1] != '}') return fc_fail(err, "Single '}' encountered in format string");
            fc_textbuf_append(out, "}", 1);
            p += 2;
            continue;
        }
        if (*p != '{') {
            const char *next = p + strcspn(p, "{}");
            fc_textbuf_append(out, p, (size_t)(next - p));
            p = next;
            continue;
        }
        if (p[1] == '{') {
            fc_textbuf_append(out, "{", 1);
            p += 2;
            continue;
        }
        if (p[1] == '\0') return fc_fail(err, "Single '{' encountered in format string");
        // The field runs to the '}' that balances it (nested braces belong to the spec).
        const char *start = p + 1, *q = start;
        int depth = 1;
        while (*q && depth > 0) {
            if (*q == '{') depth++;
            if (*q == '}') depth--;
            if (depth > 0) q++;
        }
        if (!*q) return fc_fail(err, "expected '}' before end of string");
        if (format_field(out, start, (size_t)(q - start), arg, &state, err) != 0) return -1;
        p = q + 1;
    }
    return 0;
}

int fc_pyformat(const char *template, const char *arg, char **out, fc_error *err) {
    *out = NULL;
    size_t bad;
    if (!fc_utf8_valid(template, strlen(template), &bad))
        return fc_fail(err, "template: invalid UTF-8 at byte %zu", bad);
    if (!fc_utf8_valid(arg, strlen(arg), &bad))
        return fc_fail(err, "label: invalid UTF-8 at byte %zu", bad);
    fc_textbuf buf = {0};
    if (format_all(&buf, template, arg, err) != 0) {
        fc_textbuf_free(&buf);
        return fc_fail_prefix(err, "template \"%s\"", template);
    }
    fc_textbuf_append(&buf, "", 1);
    *out = buf.data;
    return 0;
}

// ---------------------------------------------------------------------------------------------
// Public: the hypothesis of one label, and the label-string split

int fc_zeroshot_hypothesis(const char *hypothesis_template, const char *label, char **hypothesis,
                           fc_error *err) {
    if (!hypothesis_template) hypothesis_template = FC_ZEROSHOT_DEFAULT_TEMPLATE;
    if (fc_pyformat(hypothesis_template, label, hypothesis, err) != 0) return -1;
    // The pipeline's test for a missing placeholder: formatting changes nothing.
    if (strcmp(*hypothesis, hypothesis_template) == 0) {
        free(*hypothesis);
        *hypothesis = NULL;
        return fc_fail(err, "the hypothesis template \"%s\" was not able to be formatted with "
                            "the label \"%s\": put {} where the label goes",
                       hypothesis_template, label);
    }
    return 0;
}

// str.isspace(): bidirectional class WS, B or S, or category Zs (CPython
// _PyUnicode_IsWhitespace), so U+001C..U+001F and U+0085 count as well as NBSP.
static int py_isspace(int32_t cp) {
    const utf8proc_property_t *prop = utf8proc_get_property(cp);
    return prop->bidi_class == UTF8PROC_BIDI_CLASS_WS || prop->bidi_class == UTF8PROC_BIDI_CLASS_B ||
           prop->bidi_class == UTF8PROC_BIDI_CLASS_S || prop->category == UTF8PROC_CATEGORY_ZS;
}

// Narrows [*start, *end) of text past the whitespace at both ends (str.strip()).
static void py_strip(const char *text, size_t *start, size_t *end) {
    while (*start < *end) {
        int32_t cp;
        int n = fc_utf8_decode(text + *start, &cp);
        if (!py_isspace(cp)) break;
        *start += (size_t)n;
    }
    while (*end > *start) {
        int32_t cp;
        int n = fc_utf8_decode_before(text, *end, &cp);
        if (!py_isspace(cp)) break;
        *end -= (size_t)n;
    }
}

int fc_zeroshot_split_labels(const char *text, char ***labels, size_t *n_labels, fc_error *err) {
    *labels = NULL;
    *n_labels = 0;
    size_t len = strlen(text), bad;
    if (!fc_utf8_valid(text, len, &bad))
        return fc_fail(err, "labels: invalid UTF-8 at byte %zu", bad);
    size_t count = 0;
    char **out = fc_malloc((len / 2 + 1) * sizeof *out); // at most one label per 2 bytes
    for (size_t start = 0; start <= len;) {
        const char *comma = memchr(text + start, ',', len - start);
        size_t end = comma ? (size_t)(comma - text) : len;
        size_t a = start, b = end;
        py_strip(text, &a, &b);
        if (b > a) out[count++] = fc_strndup(text + a, b - a);
        start = end + 1;
    }
    *labels = out;
    *n_labels = count;
    return 0;
}

void fc_zeroshot_labels_free(char **labels, size_t n_labels) {
    if (!labels) return;
    for (size_t i = 0; i < n_labels; i++) free(labels[i]);
    free(labels);
}
