#include "tokenizer/textbuf.h"

#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"

void fc_textbuf_reserve(fc_textbuf *buf, size_t extra) {
    if (buf->len + extra <= buf->cap) return;
    size_t cap = buf->cap ? buf->cap : 256;
    while (cap < buf->len + extra) cap *= 2;
    buf->data = fc_realloc(buf->data, cap);
    buf->cap = cap;
}

void fc_textbuf_append(fc_textbuf *buf, const char *bytes, size_t len) {
    fc_textbuf_reserve(buf, len);
    if (len) memcpy(buf->data + buf->len, bytes, len);
    buf->len += len;
}

void fc_textbuf_free(fc_textbuf *buf) {
    free(buf->data);
    buf->data = NULL;
    buf->len = buf->cap = 0;
}
