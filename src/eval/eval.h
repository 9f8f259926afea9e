// Evaluation of one model over data files: read the records, classify the labeled ones as
// fc_nli_logits does (CrossEncoder.predict semantics: batches of 32, longest-first truncation to
// the model's max length), map each prediction to its canonical label by name, and count.
#ifndef FC_EVAL_EVAL_H
#define FC_EVAL_EVAL_H

#include <stddef.h>

#include "data/dataset.h"
#include "eval/metrics.h"
#include "finecat.h"

// Called as records are classified (after each batch of forwards, and after each chunk): the
// reader (for fc_reader_progress) and the records evaluated so far in this file. Under mpirun
// only rank 0 calls it: between rounds with every rank's records, within a round with those of
// rank 0's chunk.
typedef void (*fc_eval_progress_fn)(void *context, const fc_reader *reader, size_t evaluated);

typedef struct fc_eval_options {
    fc_nli_options nli;      // batch size (default 32), max length and truncation
    size_t max_rows;         // evaluate at most this many labeled records per file; 0: all
    int keep_predictions;    // fill fc_eval_result's gold and predicted arrays
    fc_eval_progress_fn progress;
    void *progress_context;
} fc_eval_options;

fc_eval_options fc_eval_default_options(void);

// The results of one model over one or more files (a data set may span several).
typedef struct fc_eval_result {
    fc_metrics metrics;        // valid after fc_eval_result_finish
    fc_reader_counts counts;   // the readers' counts, summed over the files
    size_t evaluated;          // labeled records classified (counts.unlabeled were not)
    double seconds;            // wall time in tokenization and the model, summed
    int *gold;                 // [evaluated] when keep_predictions
    int *predicted;
    size_t predictions_capacity;
} fc_eval_result;

void fc_eval_result_init(fc_eval_result *result);
void fc_eval_result_free(fc_eval_result *result);
// Computes result->metrics from the predictions counted so far.
void fc_eval_result_finish(fc_eval_result *result);

// The canonical label of each of the model's label ids (canonical_of_id[num_labels]), matched by
// name. An error when a label is no NLI label or an NLI label has no id: such a model cannot be
// scored on three-way NLI.
int fc_eval_label_alignment(const fc_model *model, int *canonical_of_id, fc_error *err);

// The canonical label of the largest logit (the first on ties, as argmax).
int fc_eval_predict(const float *logits, int num_labels, const int *canonical_of_id);

// Classifies the labeled records of one file and adds them to result. A record the tokenizer
// rejects is an error naming FILE:LINE.
int fc_eval_file(fc_model *model, const char *path, fc_dataset_format format,
                 const fc_reader_options *reader_options, const fc_eval_options *options,
                 fc_eval_result *result, fc_error *err);

#endif
