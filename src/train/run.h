// The state of one `finecat train` run, shared by the loop (loop.c), its data feed
// (run_data.c) and its checkpoints and resume (run_state.c). Internal to src/train.
#ifndef FC_TRAIN_RUN_H
#define FC_TRAIN_RUN_H

#include <stdio.h>

#include <cjson/cJSON.h>

#include "finecat.h"
#include "train/adamw.h"
#include "train/batching.h"
#include "train/data.h"
#include "train/init.h"
#include "train/report.h"
#include "train/rng.h"
#include "train/train.h"
#include "train/trainer.h"

typedef struct fc_run {
    const fc_train_options *o;
    double alpha; // o->alpha, or the data's choice when it is FC_TRAIN_ALPHA_AUTO
    // Data-parallel training (src/dist): every rank holds the data and the plan, computes its
    // share of each micro-batch, and the gradients are summed; rank 0 writes the files.
    int rank, ranks;
    fc_train_model model;
    char *tokenizer_dir;
    fc_tokenizer *tok;
    fc_train_set train;
    fc_train_set *evals;
    fc_trainer trainer;
    fc_adamw opt;
    fc_train_log log;
    long step, total_steps, warmup;
    size_t batches_per_epoch;
    // Data order: rng advances when an epoch's plan is made; epoch_rng is its state before
    // the plan of plan_epoch, which is what a checkpoint saves.
    fc_rng rng, epoch_rng;
    long plan_epoch;
    fc_epoch_plan plan;
    // One packed micro-batch (labels and teacher logits in the model's label order).
    int32_t *ids, *offsets;
    int *labels;
    float *teacher, *eval_logits;
    unsigned char *has_teacher;
    size_t token_capacity;
    char *csv_path;
    FILE *csv;
} fc_run;

// A progress line on the run's log (nothing when the run is quiet).
void fc_run_note(const fc_run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

// run_data.c: packed batches, labels and teacher logits in the model's label order.
fc_train_batch fc_run_pack(fc_run *r, const fc_train_set *set, const size_t *rows, size_t n);
// This rank's share of micro-batch k of the endless stream of epochs (each epoch's plan made
// from the generator): a contiguous slice of its rows, the whole batch with one rank.
fc_train_batch fc_run_micro_batch(fc_run *r, long k);
// Accuracy of the current weights on an eval set (argmax mapped to canonical labels); the
// ranks take turns over its batches.
int fc_run_evaluate(fc_run *r, const fc_train_set *set, double *accuracy, fc_error *err);

// run_state.c: what a checkpoint saves besides the model, and resume.
cJSON *fc_run_trajectory_options(const fc_run *r);
char *fc_run_resolve_resume(const char *path, fc_error *err);
int fc_run_save_checkpoint(fc_run *r, fc_error *err);
int fc_run_restore(fc_run *r, const char *dir, fc_error *err);
// Starts OUT/train_log.csv with the header and the history restored so far.
int fc_run_open_csv(fc_run *r, fc_error *err);

#endif
