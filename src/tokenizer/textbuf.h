// A growable byte buffer for the tokenizer's intermediate strings (normalized text, byte-level
// words). Reused across calls within one encode, so it only grows.
#ifndef FC_TOKENIZER_TEXTBUF_H
#define FC_TOKENIZER_TEXTBUF_H

#include <stddef.h>

typedef struct fc_textbuf {
    char *data;
    size_t len, cap;
} fc_textbuf;

void fc_textbuf_reserve(fc_textbuf *buf, size_t extra);
void fc_textbuf_append(fc_textbuf *buf, const char *bytes, size_t len);
void fc_textbuf_free(fc_textbuf *buf);

#endif
