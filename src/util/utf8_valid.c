// UTF-8 validation after the Unicode standard's table 3-7 (well-formed byte sequences), the
// one check every layer uses: tokenizer input, dataset rows, safetensors headers, HTTP bodies.
// ASCII, by far the common case, is skipped eight bytes at a time.
#include "util/utf8_valid.h"

#include <stdint.h>
#include <string.h>

static int fail_at(const unsigned char *p, const unsigned char *s, size_t *bad_offset) {
    if (bad_offset) *bad_offset = (size_t)(p - s);
    return 0;
}

int fc_utf8_valid(const char *text, size_t len, size_t *bad_offset) {
    const unsigned char *s = (const unsigned char *)text, *p = s, *end = s + len;
    const uint64_t high_bits = 0x8080808080808080ull;
    while (p < end) {
        uint64_t word;
        if (end - p >= 8) {
            memcpy(&word, p, sizeof word);
            if ((word & high_bits) == 0) {
                p += 8;
                continue;
            }
        }
        unsigned char c = *p;
        if (c < 0x80) {
            p++;
            continue;
        }
        int n;                              // continuation bytes
        unsigned char lo = 0x80, hi = 0xBF; // allowed range of the second byte
        if (c >= 0xC2 && c <= 0xDF) {
            n = 1;
        } else if (c >= 0xE0 && c <= 0xEF) {
            n = 2;
            if (c == 0xE0) lo = 0xA0;      // no overlong 3-byte forms
            else if (c == 0xED) hi = 0x9F; // no surrogates U+D800..U+DFFF
        } else if (c >= 0xF0 && c <= 0xF4) {
            n = 3;
            if (c == 0xF0) lo = 0x90;      // no overlong 4-byte forms
            else if (c == 0xF4) hi = 0x8F; // nothing above U+10FFFF
        } else {
            return fail_at(p, s, bad_offset); // C0, C1, F5..FF, or a stray continuation byte
        }
        if (end - p <= n || p[1] < lo || p[1] > hi) return fail_at(p, s, bad_offset);
        for (int k = 2; k <= n; k++)
            if (p[k] < 0x80 || p[k] > 0xBF) return fail_at(p, s, bad_offset);
        p += n + 1;
    }
    return 1;
}
