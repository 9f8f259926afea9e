// Checks of the texts a reader hands on: well-formed UTF-8 (the tokenizer rejects anything
// else, and the interchange format must stay valid JSON) and non-blank.
#ifndef FC_DATA_TEXT_CHECK_H
#define FC_DATA_TEXT_CHECK_H

#include <stddef.h>

#include "util/utf8_valid.h"

// 1 when the text is empty or holds only ASCII whitespace.
int fc_text_is_blank(const char *text);

#endif
