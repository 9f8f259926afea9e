// Well-formed UTF-8, checked once for every layer.
#ifndef FC_UTIL_UTF8_VALID_H
#define FC_UTIL_UTF8_VALID_H

#include <stddef.h>

// 1 when text[0..len) is well-formed UTF-8 (no overlong forms, no surrogates, nothing above
// U+10FFFF); otherwise 0 with *bad_offset (when not NULL) at the first byte of the offending
// sequence.
int fc_utf8_valid(const char *text, size_t len, size_t *bad_offset);

#endif
