#include "tokenizer/base64.h"

#include <stdint.h>
#include <stdlib.h>

#include "util/alloc.h"
#include "util/error.h"

static int sextet(unsigned char c) {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
}

int fc_base64_decode(const char *text, size_t len, unsigned char **out, size_t *out_len, fc_error *err) {
    *out = NULL;
    *out_len = 0;
    if (len % 4 != 0) return fc_fail(err, "not valid base64");
    size_t pad = 0;
    if (len >= 1 && text[len - 1] == '=') pad++;
    if (len >= 2 && text[len - 2] == '=') pad++;
    unsigned char *buf = fc_try_malloc(len / 4 * 3 + 1);
    if (!buf) return fc_fail_out_of_memory(err, "a decoded base64 string", len / 4 * 3 + 1);
    size_t n = 0;
    for (size_t i = 0; i < len; i += 4) {
        int last = i + 4 == len;
        int v[4];
        for (int k = 0; k < 4; k++) {
            int is_pad = last && k >= 4 - (int)pad;
            v[k] = is_pad ? 0 : sextet((unsigned char)text[i + k]);
            if (v[k] < 0) {
                free(buf);
                return fc_fail(err, "not valid base64");
            }
        }
        uint32_t group = (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 | (uint32_t)v[2] << 6 | (uint32_t)v[3];
        buf[n++] = (unsigned char)(group >> 16);
        if (!last || pad < 2) buf[n++] = (unsigned char)(group >> 8);
        if (!last || pad < 1) buf[n++] = (unsigned char)group;
    }
    *out = buf;
    *out_len = n;
    return 0;
}
