// The FineCat article scores models on the test splits of nine data sets. Where ../shared/data
// has no full test split (MANIFEST.md), the column uses the closest file there is and says so.
#include "eval/suite.h"

#include <string.h>

static const fc_suite_column finecat_columns[] = {
    {"finecat", {"finecat/test.jsonl"},
     "the FineCat-NLI test split in the finecat interchange format (not part of shared/data)"},
    {"mnli", {"mnli/native_subsets/multinli_dev_matched_subset1000.jsonl"},
     "a 1,000-row subset of MNLI dev-matched (990 with a gold label), not all 9,815 rows"},
    {"mnli_mismatched", {"mnli/textfooler_tokenized/mnli_mismatched.tsv"},
     "TextFooler's 1,000-row sample of MNLI dev-mismatched, PTB-tokenized"},
    {"snli", {"snli/csv_export/snli_test.csv"},
     "a CSV export of the SNLI test split: 9,818 of its 9,824 rows"},
    {"anli_r1", {"anli/anli_v0.1/R1/test.jsonl"}, NULL},
    {"anli_r2", {"anli/anli_v0.1/R2/test.jsonl"}, NULL},
    {"anli_r3", {"anli/anli_v0.1/R3/test.jsonl"}, NULL},
    {"wanli", {"wanli/train_sample.jsonl"},
     "a 100-row sample of WANLI train: the WANLI test split is not in shared/data"},
    {"lingnli",
     {"lingnli/val_round5_LotS_combined.jsonl", "lingnli/val_round5_LitL_combined.jsonl"},
     "the LotS and LitL round-5 validation files (4,893 rows)"},
};

const fc_suite_column *fc_eval_suite(const char *name, size_t *n_columns) {
    if (strcmp(name, "finecat") == 0) {
        *n_columns = sizeof finecat_columns / sizeof finecat_columns[0];
        return finecat_columns;
    }
    *n_columns = 0;
    return NULL;
}
