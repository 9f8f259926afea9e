// Zero-shot classification with the semantics of transformers' ZeroShotClassificationPipeline
// (model-reference.md §6, pitfall P20), in two halves so that the server can run the pairs of
// many requests in one forward: encoding, then scores from the logits.
#ifndef FC_TASKS_ZEROSHOT_H
#define FC_TASKS_ZEROSHOT_H

#include <stddef.h>

#include "finecat.h"

// Encodes the n_texts x n_labels pairs (premise = text, hypothesis = the template filled with
// the label) into pairs[t * n_labels + l]. Each text and each hypothesis is tokenized once;
// each pair is truncated only_first to the tokenizer's model_max_length (none when that is
// unlimited), without truncation when the text is too short to absorb the excess, exactly as
// the pipeline. Error messages name the text or label at fault.
int fc_zeroshot_encode(const fc_model *model, const char *const *texts, size_t n_texts,
                       const char *const *labels, size_t n_labels, const char *hypothesis_template,
                       fc_ids *pairs, fc_error *err);

// From the logits [n_texts * n_labels, num_labels] of those pairs, the pipeline's scores:
// ranks[t * n_labels + r] is the label at rank r of text t, scores[...] its score.
void fc_zeroshot_scores(const fc_model *model, const float *logits, size_t n_texts,
                        size_t n_labels, int multi_label, size_t *ranks, float *scores);

#endif
