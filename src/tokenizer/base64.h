// Standard base64 (RFC 4648, with padding), the encoding tokenizer.json uses for the Precompiled
// normalizer's precompiled_charsmap (serde with base64::engine::general_purpose::STANDARD).
#ifndef FC_TOKENIZER_BASE64_H
#define FC_TOKENIZER_BASE64_H

#include <stddef.h>

#include "finecat.h"

// Decodes text[0..len) into a new buffer (*out, *out_len). Returns -1 on a character outside the
// alphabet, a length that is not a multiple of 4, or misplaced padding (err: "not valid
// base64"), and when the buffer, sized by the text, cannot be had (err: "out of memory").
int fc_base64_decode(const char *text, size_t len, unsigned char **out, size_t *out_len, fc_error *err);

#endif
