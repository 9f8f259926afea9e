// Checks of the texts a reader hands on: well-formed UTF-8 (the tokenizer rejects anything
// else, and the interchange format must stay valid JSON) and non-blank.
#ifndef FC_DATA_TEXT_CHECK_H
#define FC_DATA_TEXT_CHECK_H

#include <stddef.h>

// 1 when text[0..len) is well-formed UTF-8 (no overlong forms, no surrogates, nothing above
// U+10FFFF); otherwise 0 with *bad_offset (when not NULL) at the first bad byte.
int fc_text_valid_utf8(const char *text, size_t len, size_t *bad_offset);

// 1 when the text is empty or holds only ASCII whitespace.
int fc_text_is_blank(const char *text);

#endif
