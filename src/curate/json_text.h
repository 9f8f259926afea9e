// Pieces of JSON text appended to a buffer: what the curation stages add to interchange
// records ("pilot_logits", flags) and write in their logs. Numbers are the shortest decimal that
// reads back as the same value, so logits and scores survive a round trip exactly and the same
// values always give the same bytes.
#ifndef FC_CURATE_JSON_TEXT_H
#define FC_CURATE_JSON_TEXT_H

#include <stddef.h>

#include "tokenizer/textbuf.h"

// A JSON string literal of text[0..length) (valid UTF-8): quotes, backslashes and control
// characters escaped.
void fc_json_append_string(fc_textbuf *out, const char *text, size_t length);
// The shortest decimal of a float or a double; null for NaN and infinities.
void fc_json_append_float(fc_textbuf *out, float value);
void fc_json_append_double(fc_textbuf *out, double value);
// "[a,b,c]" of n floats.
void fc_json_append_floats(fc_textbuf *out, const float *values, size_t n);
// NUL-terminates without counting the NUL, so out->data is a C string.
void fc_json_terminate(fc_textbuf *out);

#endif
