// `curate score` and `curate teacher`: the two stages that run a model over every row, on the
// sharded, resumable engine of model_pass.h.
//
// score: the pilot model's probability of the row's gold label, as "score" (softmax over the
// three NLI logits, labels matched by name: a model that orders its labels differently gives
// the same score), and its logits in canonical order [e, n, c] as "pilot_logits". A row without
// a gold label gets pilot_logits only.
//
// teacher: the teacher model's raw logits in canonical order as "teacher_logits" [e, n, c], the
// target of distillation.
//
// Both keep every other member of the row, and replace their own members when already present.
#ifndef FC_CURATE_SCORE_H
#define FC_CURATE_SCORE_H

#include "curate/model_pass.h"

int fc_curate_score(const char *input, const char *output, const char *model_dir,
                    const fc_model_pass_options *options, fc_model_pass_stats *stats,
                    fc_error *err);

int fc_curate_teacher(const char *input, const char *output, const char *model_dir,
                      const fc_model_pass_options *options, fc_model_pass_stats *stats,
                      fc_error *err);

// The probability of label under canonical logits [e, n, c] (softmax): what score stores, and
// what flag recomputes when it relabels a row.
double fc_curate_label_probability(const float logits[FC_LABEL_COUNT], int label);

#endif
