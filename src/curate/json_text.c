#include "curate/json_text.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void fc_json_append_string(fc_textbuf *out, const char *text, size_t length) {
    fc_textbuf_append(out, "\"", 1);
    size_t run = 0;
    for (size_t i = 0; i < length; i++) {
        unsigned char c = (unsigned char)text[i];
        if (c >= 0x20 && c != '"' && c != '\\') continue;
        fc_textbuf_append(out, text + run, i - run);
        char escaped[8];
        switch (c) {
        case '"': strcpy(escaped, "\\\""); break;
        case '\\': strcpy(escaped, "\\\\"); break;
        case '\n': strcpy(escaped, "\\n"); break;
        case '\r': strcpy(escaped, "\\r"); break;
        case '\t': strcpy(escaped, "\\t"); break;
        default: snprintf(escaped, sizeof escaped, "\\u%04x", c); break;
        }
        fc_textbuf_append(out, escaped, strlen(escaped));
        run = i + 1;
    }
    fc_textbuf_append(out, text + run, length - run);
    fc_textbuf_append(out, "\"", 1);
}

void fc_json_append_float(fc_textbuf *out, float value) {
    if (!isfinite(value)) {
        fc_textbuf_append(out, "null", 4);
        return;
    }
    char text[32];
    for (int precision = 1; precision <= 9; precision++) {
        snprintf(text, sizeof text, "%.*g", precision, value);
        if (strtof(text, NULL) == value) break;
    }
    fc_textbuf_append(out, text, strlen(text));
}

void fc_json_append_double(fc_textbuf *out, double value) {
    if (!isfinite(value)) {
        fc_textbuf_append(out, "null", 4);
        return;
    }
    char text[40];
    for (int precision = 1; precision <= 17; precision++) {
        snprintf(text, sizeof text, "%.*g", precision, value);
        if (strtod(text, NULL) == value) break;
    }
    fc_textbuf_append(out, text, strlen(text));
}

void fc_json_append_floats(fc_textbuf *out, const float *values, size_t n) {
    fc_textbuf_append(out, "[", 1);
    for (size_t i = 0; i < n; i++) {
        if (i) fc_textbuf_append(out, ",", 1);
        fc_json_append_float(out, values[i]);
    }
    fc_textbuf_append(out, "]", 1);
}

void fc_json_terminate(fc_textbuf *out) {
    fc_textbuf_reserve(out, 1);
    out->data[out->len] = '\0';
}
