// JSON text of task results, shared by the CLI (one object a line) and the server (response
// bodies), so that both print the same fields with the same numbers.
#ifndef FC_TASKS_RESULT_JSON_H
#define FC_TASKS_RESULT_JSON_H

#include <stddef.h>

#include "finecat.h"
#include "tokenizer/textbuf.h"

// A JSON string literal of text[0..len) (valid UTF-8): quotes, backslashes and control
// characters escaped, everything else as is.
void fc_jsonbuf_string(fc_textbuf *out, const char *text, size_t len);
// The shortest decimal that reads back as the same float; null for NaN and infinities.
void fc_jsonbuf_float(fc_textbuf *out, float value);
void fc_jsonbuf_printf(fc_textbuf *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
// Appends a NUL without counting it, so that out->data can be used as a C string.
const char *fc_jsonbuf_cstr(fc_textbuf *out);

// {"sequence":TEXT,"labels":[...],"scores":[...]} in rank order (the pipeline's output).
void fc_zeroshot_result_json(fc_textbuf *out, const char *sequence, const char *const *labels,
                             const size_t *ranks, const float *scores, size_t n_labels);

// {"sentences":[{"text","start","end","verdict","entailment","neutral","contradiction",
//  "window","max_contradiction","contradiction_window"}...],"windows":[{"start","end"}...],
//  "summary":{"supported":N,"unsupported":N,"contradicted":N},"support_threshold":X,
//  "contradiction_threshold":X}. Spans are byte offsets (sentences in the answer, windows in
// the context).
void fc_check_result_json(fc_textbuf *out, const char *answer, const fc_check_result *result,
                          const fc_check_options *options);

#endif
