#include "cli/nli_result.h"

#include <stdlib.h>
#include <string.h>

#include "cli/json_write.h"
#include "util/alloc.h"

int fc_result_predicted(const float *logits, int num_labels) {
    int best = 0;
    for (int i = 1; i < num_labels; i++)
        if (logits[i] > logits[best] || logits[best] != logits[best]) best = i;
    return best;
}

void fc_result_write_members(FILE *out, const fc_model *model, const float *logits) {
    int num_labels = fc_model_num_labels(model);
    float *probs = fc_malloc((size_t)num_labels * sizeof *probs);
    fc_softmax(logits, num_labels, probs);
    fputs("\"probabilities\":{", out);
    for (int i = 0; i < num_labels; i++) {
        if (i) fputc(',', out);
        fc_json_write_string(out, fc_model_label_name(model, i));
        fputc(':', out);
        fc_json_write_float(out, probs[i]);
    }
    fputs("},\"logits\":[", out);
    for (int i = 0; i < num_labels; i++) {
        if (i) fputc(',', out);
        fc_json_write_float(out, logits[i]);
    }
    fputs("],\"label\":", out);
    fc_json_write_string(out, fc_model_label_name(model, fc_result_predicted(logits, num_labels)));
    free(probs);
}

int fc_result_is_member_name(const char *name) {
    return strcmp(name, "probabilities") == 0 || strcmp(name, "logits") == 0 ||
           strcmp(name, "label") == 0;
}

// Scanning of a JSON text that cJSON has already accepted, so only the shape matters here:
// where strings end (escapes included) and where nested values close.

// cJSON takes every byte from 1 to 32 for whitespace, not only JSON's four; the scan must
// agree with the parser that accepted the text.
static int is_space(char c) {
    return c != '\0' && (unsigned char)c <= 32;
}

static size_t skip_space(const char *text, size_t i, size_t length) {
    while (i < length && is_space(text[i])) i++;
    return i;
}

// text[i] is the opening quote; returns the index past the closing one.
static size_t skip_string(const char *text, size_t i, size_t length) {
    for (i++; i < length && text[i] != '"'; i++)
        if (text[i] == '\\') i++;
    return i < length ? i + 1 : length;
}

static size_t skip_value(const char *text, size_t i, size_t length) {
    if (i >= length) return length;
    if (text[i] == '"') return skip_string(text, i, length);
    if (text[i] == '{' || text[i] == '[') {
        int depth = 0;
        while (i < length) {
            char c = text[i];
            if (c == '"') {
                i = skip_string(text, i, length);
                continue;
            }
            if (c == '{' || c == '[') depth++;
            if ((c == '}' || c == ']') && --depth == 0) return i + 1;
            i++;
        }
        return length;
    }
    // A number, true, false or null runs to the next delimiter.
    while (i < length && text[i] != ',' && text[i] != '}' && text[i] != ']' && !is_space(text[i]))
        i++;
    return i;
}

void fc_result_write_record(FILE *out, const char *line, size_t length, const cJSON *parsed,
                            const fc_model *model, const float *logits) {
    size_t i = skip_space(line, 0, length) + 1; // past the '{'
    int written = 0;
    fputc('{', out);
    // cJSON keeps every member, duplicates included, in the order of the text, so its children
    // name the members the scan meets one by one.
    for (const cJSON *member = parsed->child; member; member = member->next) {
        size_t start = skip_space(line, i, length);
        i = skip_string(line, start, length); // the key
        i = skip_space(line, i, length) + 1;  // past the ':'
        i = skip_value(line, skip_space(line, i, length), length);
        if (!fc_result_is_member_name(member->string)) {
            if (written++) fputc(',', out);
            fwrite(line + start, 1, i - start, out);
        }
        i = skip_space(line, i, length);
        if (i < length && line[i] == ',') i++;
    }
    if (written) fputc(',', out);
    fc_result_write_members(out, model, logits);
    fputs("}\n", out);
}
