#include "tokenizer/bert_unicode.h"

#include "tokenizer/utf8.h"

static int in_ranges(const fc_cp_range *r, size_t n, int32_t cp) {
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (cp < r[mid].first)
            hi = mid;
        else if (cp > r[mid].last)
            lo = mid + 1;
        else
            return 1;
    }
    return 0;
}

int fc_bert_is_control(int32_t cp) {
    if (cp == '\t' || cp == '\n' || cp == '\r') return 0;
    return in_ranges(fc_bert_other_ranges, fc_bert_other_count, cp);
}

int fc_bert_is_whitespace(int32_t cp) {
    return fc_unicode_is_white_space(cp); // already holds tab, LF and CR
}

int fc_bert_is_chinese_char(int32_t cp) {
    // The ranges of is_chinese_char, as the crate lists them (CJK Unified Ideographs, Extensions
    // A to E, and the two Compatibility Ideographs blocks).
    return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) ||
           (cp >= 0x20000 && cp <= 0x2A6DF) || (cp >= 0x2A700 && cp <= 0x2B73F) ||
           (cp >= 0x2B740 && cp <= 0x2B81F) || (cp >= 0x2B920 && cp <= 0x2CEAF) ||
           (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x2F800 && cp <= 0x2FA1F);
}

int fc_bert_is_punctuation(int32_t cp) {
    if (cp < 0x80)
        return (cp >= 33 && cp <= 47) || (cp >= 58 && cp <= 64) || (cp >= 91 && cp <= 96) ||
               (cp >= 123 && cp <= 126);
    return in_ranges(fc_bert_punctuation_ranges, fc_bert_punctuation_count, cp);
}

int fc_bert_is_nonspacing_mark(int32_t cp) {
    return in_ranges(fc_bert_nonspacing_ranges, fc_bert_nonspacing_count, cp);
}

int fc_bert_to_lower(int32_t cp, int32_t out[2]) {
    if (cp < 0x80) {
        out[0] = cp >= 'A' && cp <= 'Z' ? cp + 32 : cp;
        return 1;
    }
    if (cp == 0x130) { // SpecialCasing.txt's one unconditional two-character lowercase
        out[0] = 'i';
        out[1] = 0x307;
        return 2;
    }
    size_t lo = 0, hi = fc_bert_lower_count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const fc_lower_run *r = &fc_bert_lower_runs[mid];
        if (cp < r->first) {
            hi = mid;
        } else if (cp > r->last) {
            lo = mid + 1;
        } else {
            out[0] = (cp - r->first) % r->stride == 0 ? cp + r->delta : cp;
            return 1;
        }
    }
    out[0] = cp;
    return 1;
}
