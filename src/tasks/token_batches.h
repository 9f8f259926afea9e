// Runs many encoded sequences through the model in forwards bounded by a token budget rather
// than a count: cost then follows tokens, and a request with many short pairs (zero-shot with
// many labels) fills each forward as well as one with a few long ones.
#ifndef FC_TASKS_TOKEN_BATCHES_H
#define FC_TASKS_TOKEN_BATCHES_H

#include <stddef.h>

#include "finecat.h"

// Default budget of one forward, in tokens: large enough that per-forward overhead is small,
// small enough that the activation buffer of the largest model stays a few hundred MB.
enum { FC_DEFAULT_MAX_BATCH_TOKENS = 8192 };

// Classifies n sequences (each already post-processed: [CLS] ... [SEP]), longest first, packed
// into forwards of at most max_batch_tokens tokens (<= 0: the default); a sequence longer than
// the budget runs alone. Writes logits [n, num_labels] in input order.
int fc_run_token_batches(fc_model *model, const fc_ids *seqs, size_t n, int max_batch_tokens,
                         float *logits, fc_error *err);

// The same with both limits: at most max_pairs sequences (<= 0: no limit) and max_tokens
// tokens (<= 0: no limit) per forward. fc_nli_logits uses a pair count (batch 32, the
// FineCat table's setting); zero-shot, check and the server a token budget.
int fc_run_batches(fc_model *model, const fc_ids *seqs, size_t n, int max_pairs, int max_tokens,
                   float *logits, fc_error *err);

// Called after each forward with the count of sequences classified so far by this call, so
// that long work can show progress between the batches.
typedef void (*fc_batch_progress_fn)(void *context, size_t done);

// fc_run_batches, calling on_batch (may be NULL) after each forward.
int fc_run_batches_progress(fc_model *model, const fc_ids *seqs, size_t n, int max_pairs,
                            int max_tokens, float *logits, fc_batch_progress_fn on_batch,
                            void *context, fc_error *err);

#endif
