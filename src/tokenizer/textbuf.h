// A growable byte buffer for the tokenizer's intermediate strings (normalized text, byte-level
// words), also used for the JSON the server and the curation write. Reused across calls within
// one encode, so it only grows.
//
// Growth comes in the two kinds of util/alloc.h: fc_textbuf_reserve / fc_textbuf_append end
// the process when the memory is not there; the _try_ ones, for buffers sized by the input
// (every buffer of the tokenizer's encode path), return -1 with err saying "out of memory" and
// leave the buffer as it was.
#ifndef FC_TOKENIZER_TEXTBUF_H
#define FC_TOKENIZER_TEXTBUF_H

#include <stddef.h>

#include "finecat.h"

typedef struct fc_textbuf {
    char *data;
    size_t len, cap;
} fc_textbuf;

void fc_textbuf_reserve(fc_textbuf *buf, size_t extra);
void fc_textbuf_append(fc_textbuf *buf, const char *bytes, size_t len);

int fc_textbuf_try_reserve(fc_textbuf *buf, size_t extra, fc_error *err);
int fc_textbuf_try_append(fc_textbuf *buf, const char *bytes, size_t len, fc_error *err);

void fc_textbuf_free(fc_textbuf *buf);

#endif
