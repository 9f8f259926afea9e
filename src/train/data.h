// Labelled pairs for training and evaluation, tokenized once as the model will see them. Files
// are read with the data readers of src/data (dataset.h): the interchange JSONL of design.md
// ({"premise", "hypothesis", "label", "teacher_logits"?}) and every native NLI format they
// detect (SNLI CSV/JSONL, MNLI, ANLI, LingNLI, WANLI, ...).
#ifndef FC_TRAIN_DATA_H
#define FC_TRAIN_DATA_H

#include <stddef.h>
#include <stdint.h>

#include "finecat.h"

typedef struct fc_train_row {
    size_t first;      // offset of its tokens in the set's token pool
    int length;        // tokens: [CLS] premise [SEP] hypothesis [SEP], truncated
    int label;         // canonical label (entailment 0, neutral 1, contradiction 2)
    int has_teacher;
    float teacher[FC_LABEL_COUNT]; // canonical order e, n, c
    size_t line;       // 1-based line in the file, for messages
} fc_train_row;

typedef struct fc_train_set {
    char *name; // "train" or the --eval NAME
    char *path;
    fc_train_row *rows;
    size_t n_rows;
    int32_t *tokens; // every row's ids, end to end
    size_t n_tokens;
    size_t n_teacher;   // rows with teacher logits
    size_t n_skipped;   // rows the reader skipped (gold label "-", empty text) or unlabelled
    uint64_t fingerprint; // FNV-1a of every row's ids, label and teacher logits
} fc_train_set;

// Reads every labelled record (the format detected from the file). teacher_logits, in the
// interchange format, is [entailment, neutral, contradiction]. Pairs are truncated to
// max_length tokens (<= 0: none) with longest_first, as sentence-transformers' CrossEncoder
// trains. A malformed record is an error naming FILE:LINE.
int fc_train_set_read(fc_train_set *set, const char *name, const char *path,
                      const fc_tokenizer *tok, int max_length, fc_error *err);
void fc_train_set_free(fc_train_set *set);

static inline const int32_t *fc_train_row_ids(const fc_train_set *set, const fc_train_row *row) {
    return set->tokens + row->first;
}

#endif
