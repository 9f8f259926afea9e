// The sentence splitter of the hallucination check (fc_split_sentences in finecat.h). It is a
// small, deterministic rule set rather than a model, so that anyone can predict where a text
// is cut:
//
// 1. A newline always ends a sentence (answers are often lists or one claim a line).
// 2. Within a line, a sentence ends after a run of '.', '!' or '?' (and any closing quotes or
//    brackets right after it: " ' ) ] ” ’ »), when whitespace follows and then an uppercase
//    letter, a digit, or an opening quote or bracket (" ' ( [ “ ‘ «).
// 3. A single '.' does not end a sentence after an abbreviation: a word from the list below
//    ("Dr.", "e.g.", "etc." is not in it), a word with a dot inside ("U.S.", "i.e.", "Ph.D."),
//    or a single letter (an initial, "J. Smith"). Numbers such as 3.5 never split, as no
//    whitespace follows their dot.
// 4. Each sentence is trimmed of surrounding whitespace; empty ones are dropped.
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <utf8proc.h>

#include "finecat.h"
#include "tokenizer/utf8.h"
#include "util/alloc.h"

// Lowercase, without the final dot. Titles, company and reference abbreviations that are
// usually followed by a capitalized word or a number.
static const char *const abbreviations[] = {
    "mr", "mrs", "ms", "dr", "prof", "sr", "jr", "st", "mt", "vs", "gen", "col", "lt", "sgt",
    "capt", "gov", "sen", "rep", "rev", "inc", "ltd", "co", "corp", "dept", "univ", "fig",
    "figs", "eq", "no", "nos", "vol", "vols", "pp", "approx", "cf", "al", "jan", "feb", "aug",
    "sept", "oct", "nov", "dec",
};

static int is_abbreviation(const char *word, size_t len) {
    if (len == 0) return 0;
    size_t letters = 0;
    for (size_t i = 0; i < len; i++) {
        if (word[i] == '.') return 1; // "U.S", "e.g", "Ph.D": a dot inside the word
        if (isalpha((unsigned char)word[i])) letters++;
    }
    if (letters == 1 && len == 1) return 1; // an initial
    for (size_t i = 0; i < sizeof abbreviations / sizeof abbreviations[0]; i++)
        if (strlen(abbreviations[i]) == len && strncasecmp(abbreviations[i], word, len) == 0)
            return 1;
    return 0;
}

static int is_closing(int32_t cp) {
    return cp == '"' || cp == '\'' || cp == ')' || cp == ']' || cp == 0x201D || cp == 0x2019 ||
           cp == 0x00BB;
}

static int is_opening(int32_t cp) {
    return cp == '"' || cp == '\'' || cp == '(' || cp == '[' || cp == 0x201C || cp == 0x2018 ||
           cp == 0x00AB;
}

static int starts_sentence(int32_t cp) {
    utf8proc_category_t cat = utf8proc_category(cp);
    return cat == UTF8PROC_CATEGORY_LU || cat == UTF8PROC_CATEGORY_LT ||
           cat == UTF8PROC_CATEGORY_ND || is_opening(cp);
}

// Decodes one code point; invalid bytes count as themselves (U+FFFD, one byte) so that the
// splitter works on any input.
static size_t decode(const char *s, size_t len, size_t i, int32_t *cp) {
    utf8proc_int32_t c;
    utf8proc_ssize_t n = utf8proc_iterate((const utf8proc_uint8_t *)s + i, (utf8proc_ssize_t)(len - i), &c);
    if (n <= 0) {
        *cp = 0xFFFD;
        return 1;
    }
    *cp = c;
    return (size_t)n;
}

static int is_space(int32_t cp) {
    return fc_unicode_is_white_space(cp);
}

typedef struct span_list {
    fc_span *items;
    size_t len, cap;
} span_list;

// Adds [start, end) trimmed of whitespace, unless nothing is left.
static void add_trimmed(span_list *list, const char *text, size_t start, size_t end) {
    while (start < end) {
        int32_t cp;
        size_t n = decode(text, end, start, &cp);
        if (!is_space(cp)) break;
        start += n;
    }
    while (end > start) {
        size_t back = end - 1;
        while (back > start && ((unsigned char)text[back] & 0xC0) == 0x80) back--;
        int32_t cp;
        decode(text, end, back, &cp);
        if (!is_space(cp)) break;
        end = back;
    }
    if (end <= start) return;
    if (list->len == list->cap) {
        list->cap = list->cap ? list->cap * 2 : 16;
        list->items = fc_realloc(list->items, list->cap * sizeof *list->items);
    }
    list->items[list->len++] = (fc_span){start, end};
}

// The word that ends at the dot at text[dot]: back to whitespace or the line start, without
// leading opening quotes or brackets.
static int dot_ends_abbreviation(const char *text, size_t line_start, size_t dot) {
    size_t start = dot;
    while (start > line_start && !isspace((unsigned char)text[start - 1])) start--;
    while (start < dot && (text[start] == '"' || text[start] == '\'' || text[start] == '(' ||
                           text[start] == '['))
        start++;
    return is_abbreviation(text + start, dot - start);
}

// Splits one line (no newline inside) by rules 2-3.
static void split_line(span_list *list, const char *text, size_t line_start, size_t line_end) {
    size_t sentence_start = line_start;
    size_t i = line_start;
    while (i < line_end) {
        char c = text[i];
        if (c != '.' && c != '!' && c != '?') {
            i++;
            continue;
        }
        size_t run_start = i;
        while (i < line_end && (text[i] == '.' || text[i] == '!' || text[i] == '?')) i++;
        size_t end = i; // the sentence ends here, after closers
        int32_t cp;
        while (end < line_end) {
            size_t n = decode(text, line_end, end, &cp);
            if (!is_closing(cp)) break;
            end += n;
        }
        // Whitespace, then a character that can start a sentence.
        size_t next = end;
        int saw_space = 0;
        while (next < line_end) {
            size_t n = decode(text, line_end, next, &cp);
            if (!is_space(cp)) break;
            saw_space = 1;
            next += n;
        }
        if (!saw_space || next >= line_end) {
            i = end > i ? end : i;
            continue;
        }
        decode(text, line_end, next, &cp);
        if (!starts_sentence(cp)) {
            i = end;
            continue;
        }
        int single_dot = i - run_start == 1 && text[run_start] == '.';
        if (single_dot && dot_ends_abbreviation(text, line_start, run_start)) {
            i = end;
            continue;
        }
        add_trimmed(list, text, sentence_start, end);
        sentence_start = next;
        i = next;
    }
    add_trimmed(list, text, sentence_start, line_end);
}

size_t fc_split_sentences(const char *text, size_t len, fc_span **spans) {
    span_list list = {0};
    size_t line_start = 0;
    while (line_start <= len) {
        const char *newline = memchr(text + line_start, '\n', len - line_start);
        size_t line_end = newline ? (size_t)(newline - text) : len;
        split_line(&list, text, line_start, line_end);
        if (!newline) break;
        line_start = line_end + 1;
    }
    *spans = list.items;
    return list.len;
}
