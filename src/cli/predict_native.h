// `finecat predict` over the data files `eval` and `train` read (SNLI, MultiNLI, ANLI, WANLI,
// LingNLI, CSV/TSV with named columns, ...), through the src/data readers. Each kept record is
// written, in input order, as {"id", "source", "split", "premise", "hypothesis", "gold_label"}
// with the result members (probabilities, logits, label) added. Records the reader skips (SNLI
// gold label "-", WANLI "discard", empty text) are counted and named in the closing line.
#ifndef FC_CLI_PREDICT_NATIVE_H
#define FC_CLI_PREDICT_NATIVE_H

#include <stddef.h>
#include <stdio.h>

#include "data/dataset.h"
#include "finecat.h"

typedef struct fc_predict_native_options {
    fc_nli_options nli;
    size_t chunk_size;       // records classified at a time
    FILE *progress;          // NULL: none
} fc_predict_native_options;

// Classifies every record of path (format as fc_reader_open takes it) and writes the results
// to out. *n_classified counts the records written; *counts receives the reader's counts.
// Under mpirun every rank calls it with the same file: the ranks share the chunks, rank 0
// writes (out is NULL on the others) and draws the progress.
int fc_predict_native(fc_model *model, const char *path, fc_dataset_format format,
                      const fc_reader_options *reader_options,
                      const fc_predict_native_options *options, FILE *out, size_t *n_classified,
                      fc_reader_counts *counts, fc_error *err);

#endif
