#include "tokenizer/bytelevel.h"

#include "tokenizer/utf8.h"

int32_t fc_bytelevel_char(unsigned char b) {
    if ((b >= 33 && b <= 126) || (b >= 161 && b <= 172) || b >= 174) return b;
    // The 68 remapped bytes in increasing order: 0-32 (ranks 0-32), 127-160 (ranks 33-66),
    // 173 (rank 67); byte of rank r becomes U+0100 + r.
    if (b <= 32) return 0x100 + b;
    if (b <= 160) return 0x100 + 33 + (b - 127);
    return 0x100 + 67;
}

int fc_bytelevel_append(fc_textbuf *out, const char *bytes, size_t len, fc_error *err) {
    // Every mapped code point is below U+0800, two bytes at most.
    if (fc_textbuf_try_reserve(out, len * 2, err) != 0) return -1;
    char *o = out->data + out->len;
    for (size_t i = 0; i < len; i++) {
        unsigned char b = (unsigned char)bytes[i];
        if (b >= 33 && b <= 126) {
            *o++ = (char)b;
        } else {
            o += fc_utf8_encode(fc_bytelevel_char(b), o);
        }
    }
    out->len = (size_t)(o - out->data);
    return 0;
}
