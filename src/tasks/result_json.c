#include "tasks/result_json.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void fc_jsonbuf_string(fc_textbuf *out, const char *text, size_t len) {
    fc_textbuf_append(out, "\"", 1);
    size_t run = 0; // bytes copied as they are, flushed before each escape
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)text[i];
        const char *escape = NULL;
        char hex[8];
        switch (c) {
        case '"': escape = "\\\""; break;
        case '\\': escape = "\\\\"; break;
        case '\n': escape = "\\n"; break;
        case '\r': escape = "\\r"; break;
        case '\t': escape = "\\t"; break;
        case '\b': escape = "\\b"; break;
        case '\f': escape = "\\f"; break;
        default:
            if (c < 0x20) {
                snprintf(hex, sizeof hex, "\\u%04x", c);
                escape = hex;
            }
        }
        if (!escape) continue;
        fc_textbuf_append(out, text + run, i - run);
        fc_textbuf_append(out, escape, strlen(escape));
        run = i + 1;
    }
    fc_textbuf_append(out, text + run, len - run);
    fc_textbuf_append(out, "\"", 1);
}

void fc_jsonbuf_float(fc_textbuf *out, float value) {
    if (!isfinite(value)) {
        fc_textbuf_append(out, "null", 4);
        return;
    }
    // 9 significant digits always read back as the same float; most values need fewer.
    char text[32];
    for (int digits = 1; digits <= 9; digits++) {
        snprintf(text, sizeof text, "%.*g", digits, (double)value);
        if (strtof(text, NULL) == value) break;
    }
    fc_textbuf_append(out, text, strlen(text));
}

void fc_jsonbuf_printf(fc_textbuf *out, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n <= 0) return;
    fc_textbuf_reserve(out, (size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(out->data + out->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    out->len += (size_t)n;
}

const char *fc_jsonbuf_cstr(fc_textbuf *out) {
    fc_textbuf_reserve(out, 1);
    out->data[out->len] = '\0';
    return out->data;
}

void fc_zeroshot_result_json(fc_textbuf *out, const char *sequence, const char *const *labels,
                             const size_t *ranks, const float *scores, size_t n_labels) {
    fc_textbuf_append(out, "{\"sequence\":", 12);
    fc_jsonbuf_string(out, sequence, strlen(sequence));
    fc_textbuf_append(out, ",\"labels\":[", 11);
    for (size_t r = 0; r < n_labels; r++) {
        if (r) fc_textbuf_append(out, ",", 1);
        const char *label = labels[ranks[r]];
        fc_jsonbuf_string(out, label, strlen(label));
    }
    fc_textbuf_append(out, "],\"scores\":[", 12);
    for (size_t r = 0; r < n_labels; r++) {
        if (r) fc_textbuf_append(out, ",", 1);
        fc_jsonbuf_float(out, scores[r]);
    }
    fc_textbuf_append(out, "]}", 2);
}

void fc_check_result_json(fc_textbuf *out, const char *answer, const fc_check_result *result,
                          const fc_check_options *options) {
    size_t counts[3] = {0};
    fc_textbuf_append(out, "{\"sentences\":[", 14);
    for (size_t s = 0; s < result->n_sentences; s++) {
        const fc_check_sentence *sentence = &result->sentences[s];
        counts[sentence->verdict]++;
        if (s) fc_textbuf_append(out, ",", 1);
        fc_textbuf_append(out, "{\"text\":", 8);
        fc_jsonbuf_string(out, answer + sentence->span.start,
                          sentence->span.end - sentence->span.start);
        fc_jsonbuf_printf(out, ",\"start\":%zu,\"end\":%zu,\"verdict\":\"%s\"", sentence->span.start,
                          sentence->span.end, fc_verdict_name(sentence->verdict));
        for (int c = 0; c < FC_LABEL_COUNT; c++) {
            fc_jsonbuf_printf(out, ",\"%s\":", fc_label_name((fc_label)c));
            fc_jsonbuf_float(out, sentence->probs[c]);
        }
        fc_jsonbuf_printf(out, ",\"window\":%d,\"max_contradiction\":", sentence->window);
        fc_jsonbuf_float(out, sentence->max_contradiction);
        fc_jsonbuf_printf(out, ",\"contradiction_window\":%d}", sentence->contradiction_window);
    }
    fc_textbuf_append(out, "],\"windows\":[", 13);
    for (size_t w = 0; w < result->n_windows; w++)
        fc_jsonbuf_printf(out, "%s{\"start\":%zu,\"end\":%zu}", w ? "," : "",
                          result->windows[w].start, result->windows[w].end);
    fc_jsonbuf_printf(out, "],\"summary\":{\"supported\":%zu,\"unsupported\":%zu,"
                           "\"contradicted\":%zu},\"support_threshold\":",
                      counts[FC_VERDICT_SUPPORTED], counts[FC_VERDICT_UNSUPPORTED],
                      counts[FC_VERDICT_CONTRADICTED]);
    fc_jsonbuf_float(out, options->support_threshold);
    fc_textbuf_append(out, ",\"contradiction_threshold\":", 27);
    fc_jsonbuf_float(out, options->contradiction_threshold);
    fc_textbuf_append(out, "}", 1);
}
