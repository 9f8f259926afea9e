// The two halves of fc_nli_logits, for callers that must know which input failed to tokenize
// before anything runs (the CLI skips or reports bad records one by one).
#ifndef FC_TASKS_NLI_H
#define FC_TASKS_NLI_H

#include <stddef.h>

#include "finecat.h"
#include "tasks/token_batches.h"

// The max_length pairs are truncated to: options->max_length when > 0, else the model's max
// length (min of the tokenizer's model_max_length and max_position_embeddings); 0 means none.
int fc_nli_max_length(const fc_model *model, const fc_nli_options *options);

// Tokenizes one pair as fc_nli_logits does ([CLS] premise [SEP] hypothesis [SEP], truncated per
// options) into out, replacing its contents. The error message starts with the field at fault
// ("premise: ..." or "hypothesis: ...") when the fault lies in one text.
int fc_nli_encode_pair(const fc_model *model, const fc_pair *pair, const fc_nli_options *options,
                       fc_ids *out, fc_error *err);

// Classifies n tokenized pairs: sorts them by length, runs batches of batch_size (<= 0: 32)
// packed end to end, and writes logits [n, num_labels] in input order.
int fc_nli_logits_encoded(fc_model *model, const fc_ids *encoded, size_t n, int batch_size,
                          float *logits, fc_error *err);

// The same, calling on_batch(context, pairs done) after each forward (token_batches.h).
int fc_nli_logits_encoded_progress(fc_model *model, const fc_ids *encoded, size_t n,
                                   int batch_size, float *logits, fc_batch_progress_fn on_batch,
                                   void *context, fc_error *err);

#endif
