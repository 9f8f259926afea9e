// UTF-8 decoding and validation, and the Unicode character classes the tokenizer needs beyond
// what utf8proc and PCRE2 give directly.
#ifndef FC_TOKENIZER_UTF8_H
#define FC_TOKENIZER_UTF8_H

#include <stddef.h>
#include <stdint.h>

#include "util/utf8_valid.h"

// fc_utf8_valid lives in util/utf8_valid.h, shared with every other layer.

// Decodes the code point at s (which must be valid UTF-8 with at least one byte left) and
// returns its length in bytes.
int fc_utf8_decode(const char *s, int32_t *cp);

// Decodes the code point that ends at s[end] (exclusive); returns its length in bytes.
int fc_utf8_decode_before(const char *s, size_t end, int32_t *cp);

// Writes the UTF-8 form of cp into out (at least 4 bytes); returns its length.
int fc_utf8_encode(int32_t cp, char *out);

// 1 if every byte is ASCII.
int fc_utf8_is_ascii(const char *text, size_t len);

// Unicode White_Space: what Rust's char::is_whitespace and regex \s mean, and what HF's
// Oniguruma \s matched on every code point (tests/fixtures/tokens, codepoint_blocks.jsonl).
// Note U+0085 is in the set and U+180E (a format character since Unicode 6.3) is not.
int fc_unicode_is_white_space(int32_t cp);

// Rust regex \w (Unicode word character: Alphabetic, marks, decimal digits, connector
// punctuation, join controls), used by added tokens with single_word. Alphabetic is taken as
// the letter categories plus Nl and the Other_Alphabetic symbols (circled letters).
int fc_unicode_is_word_char(int32_t cp);

#endif
