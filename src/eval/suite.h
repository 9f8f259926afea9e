// Named sets of evaluation columns and the files that stand for them under a data folder laid
// out as ../shared/data/nli.
#ifndef FC_EVAL_SUITE_H
#define FC_EVAL_SUITE_H

#include <stddef.h>

typedef struct fc_suite_column {
    const char *name;
    const char *files[2]; // relative to the data folder; the second may be NULL
    const char *note;     // how the files differ from the data set's full test split, or NULL
} fc_suite_column;

// The columns of the suite of that name, or NULL. "finecat": the FineCat article's table,
// finecat, mnli, mnli_mismatched, snli, anli_r1, anli_r2, anli_r3, wanli, lingnli.
const fc_suite_column *fc_eval_suite(const char *name, size_t *n_columns);

#endif
