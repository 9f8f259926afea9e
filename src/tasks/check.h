// The hallucination check (fc_check in finecat.h) in two halves, so that the server can run the
// pairs of many requests in one forward: a plan (answer sentences, context windows and the
// encoded pairs), then the verdicts from the logits of those pairs.
#ifndef FC_TASKS_CHECK_H
#define FC_TASKS_CHECK_H

#include <stddef.h>

#include "finecat.h"

typedef struct fc_check_plan {
    fc_span *sentences; // of the answer
    size_t n_sentences;
    fc_span *windows;   // of the context
    size_t n_windows;
    fc_ids *pairs;      // [n_sentences * n_windows]: pairs[s * n_windows + w]
    size_t n_pairs;
} fc_check_plan;

// Splits and tokenizes; fails when the model lacks one of the three NLI labels or a text is
// not valid UTF-8 (the message names "context" or "answer").
int fc_check_plan_build(const fc_model *model, const char *context, const char *answer,
                        fc_check_plan *plan, fc_error *err);

// Verdicts from logits [n_pairs, num_labels] into result; the windows move from plan to
// result (plan keeps everything else until fc_check_plan_free).
void fc_check_plan_finish(const fc_model *model, fc_check_plan *plan, const float *logits,
                          const fc_check_options *options, fc_check_result *result);

void fc_check_plan_free(fc_check_plan *plan);

// Thresholds must be numbers (not NaN); fails naming the option.
int fc_check_options_validate(const fc_check_options *options, fc_error *err);

#endif
