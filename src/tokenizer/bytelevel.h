// GPT-2's byte-to-unicode table (ByteLevel pre-tokenizer, model-reference 5.2): every byte of a
// word becomes one printable code point, so that BPE works on text without raw control bytes
// or spaces. Bytes 33-126, 161-172 and 174-255 map to themselves; the other 68 map, in
// increasing byte order, to U+0100, U+0101, ... (32 -> U+0120 'Ġ', 10 -> U+010A 'Ċ').
#ifndef FC_TOKENIZER_BYTELEVEL_H
#define FC_TOKENIZER_BYTELEVEL_H

#include <stddef.h>
#include <stdint.h>

#include "finecat.h"
#include "tokenizer/textbuf.h"

// The code point that stands for byte b.
int32_t fc_bytelevel_char(unsigned char b);

// Appends the byte-level form of bytes[0..len) (UTF-8 of the mapped code points) to out. out
// grows fallibly: -1 with err saying "out of memory" when it cannot, out then unchanged.
int fc_bytelevel_append(fc_textbuf *out, const char *bytes, size_t len, fc_error *err);

#endif
