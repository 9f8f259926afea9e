#include "tokenizer/textbuf.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"
#include "util/error.h"

void fc_textbuf_reserve(fc_textbuf *buf, size_t extra) {
    if (buf->len + extra <= buf->cap) return;
    size_t cap = fc_grown_capacity(buf->cap, buf->len + extra, 256);
    buf->data = fc_realloc(buf->data, cap);
    buf->cap = cap;
}

void fc_textbuf_append(fc_textbuf *buf, const char *bytes, size_t len) {
    fc_textbuf_reserve(buf, len);
    if (len) memcpy(buf->data + buf->len, bytes, len);
    buf->len += len;
}

int fc_textbuf_try_reserve(fc_textbuf *buf, size_t extra, fc_error *err) {
    if (extra <= buf->cap - buf->len) return 0;
    size_t need = buf->len + extra;
    if (need < buf->len) return fc_fail_out_of_memory(err, "a text buffer", SIZE_MAX);
    size_t cap = fc_grown_capacity(buf->cap, need, 256);
    char *grown = fc_try_realloc_array(buf->data, cap, 1);
    if (!grown) return fc_fail_out_of_memory(err, "a text buffer", cap);
    buf->data = grown;
    buf->cap = cap;
    return 0;
}

int fc_textbuf_try_append(fc_textbuf *buf, const char *bytes, size_t len, fc_error *err) {
    if (fc_textbuf_try_reserve(buf, len, err) != 0) return -1;
    if (len) memcpy(buf->data + buf->len, bytes, len);
    buf->len += len;
    return 0;
}

void fc_textbuf_free(fc_textbuf *buf) {
    free(buf->data);
    buf->data = NULL;
    buf->len = buf->cap = 0;
}
