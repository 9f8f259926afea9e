// One training step's model work: forward with the activation record, the distillation loss,
// backward into the gradient buffer. The loop (loop.c) decides batches, steps and logging.
#ifndef FC_TRAIN_TRAINER_H
#define FC_TRAIN_TRAINER_H

#include <stdint.h>

#include "finecat.h"
#include "model/bert/bert.h"
#include "model/bert/bert_backward.h"
#include "model/modernbert/modernbert.h"
#include "model/modernbert/modernbert_backward.h"
#include "train/init.h"
#include "train/loss.h"

// A packed batch of labelled pairs; labels and teacher logits are in the model's label order.
typedef struct fc_train_batch {
    int n_seqs;
    const int32_t *ids;     // [offsets[n_seqs]]
    const int32_t *offsets; // [n_seqs + 1]
    const int *labels;      // [n_seqs]
    const float *teacher;   // [n_seqs, num_labels], rows with has_teacher only
    const unsigned char *has_teacher; // [n_seqs]
    // Data-parallel training: this batch is one rank's share of a whole batch of total_rows
    // rows (total_teacher_rows with teacher logits), starting at first_row and first_token of
    // it. The loss divides by the whole batch's counts and dropout draws its masks there, so
    // the shares' gradients add up to the whole batch's. total_rows 0: the batch is whole.
    int total_rows, total_teacher_rows;
    size_t first_row, first_token;
} fc_train_batch;

typedef struct fc_trainer {
    fc_train_model *model;
    double alpha, beta; // loss weights
    fc_modernbert_acts acts;            // ModernBERT: per-layer record for backward
    fc_modernbert_grad_acts grad_acts;
    fc_bert_acts bert_acts;             // BERT / RoBERTa: the same
    fc_bert_grad_acts bert_grad_acts;
    int32_t sep_id;    // the tokenizer's [SEP], from which BERT's token types are derived
    int32_t *types;    // [token capacity] token types of the current batch
    size_t types_capacity;
    uint64_t dropout_seed; // masks of the next accumulate (set per micro-batch by the loop);
                           // dropout runs only in fc_trainer_accumulate, never in _logits
    float *logits, *dlogits; // [capacity, num_labels]
    int capacity;
} fc_trainer;

// sep_id: the tokenizer's separator token ([SEP]) or -1; only BERT uses it.
void fc_trainer_init(fc_trainer *t, fc_train_model *model, double alpha, double beta,
                     int32_t sep_id);
void fc_trainer_free(fc_trainer *t);

// Forward, loss and backward of one micro-batch: adds scale · ∂L/∂θ to the model's gradient
// buffer (scale = 1 / grad-accumulation steps) and returns the loss parts of this batch (of a
// share: its terms of the whole batch's, fc_distill_loss_share). An empty share adds nothing.
int fc_trainer_accumulate(fc_trainer *t, const fc_train_batch *batch, double scale,
                          fc_loss_parts *parts, fc_error *err);

// Forward only (evaluation): logits [n_seqs, num_labels] in the model's label order.
int fc_trainer_logits(fc_trainer *t, const int32_t *ids, const int32_t *offsets, int n_seqs,
                      float *logits, fc_error *err);

#endif
