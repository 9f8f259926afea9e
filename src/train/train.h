// `finecat train`: distill ModernBERT and BERT-family students in C (issues 8, 12). The loss is
// alpha · CE(student, gold) + beta · MSE(student logits, teacher logits) (loss.h); AdamW with
// decoupled weight decay (none on norms and biases), gradient clipping, a linear or cosine
// schedule with warmup, fp32 master weights, checkpoints transformers loads, and resume that
// reproduces the uninterrupted run exactly.
#ifndef FC_TRAIN_TRAIN_H
#define FC_TRAIN_TRAIN_H

#include <stdint.h>
#include <stdio.h>

#include "finecat.h"
#include "train/schedule.h"

// alpha chosen from the data (see fc_train_options.alpha).
#define FC_TRAIN_ALPHA_AUTO (-1.0)

typedef struct fc_train_eval_set {
    const char *name; // a short name for logs and CSV columns ([A-Za-z0-9_.-])
    const char *path; // interchange JSONL with labels
} fc_train_eval_set;

typedef struct fc_train_options {
    const char *init;      // checkpoint folder or config.json (ignored with resume)
    const char *keep_layers; // BERT / RoBERTa: comma-separated encoder layers of init to keep
                             // (a smaller student, as DistilBERT is made); NULL keeps all
    const char *tokenizer; // folder with tokenizer.json; NULL: the init (or resume) folder,
                           // or the folder of the init config.json
    const char *data;      // training JSONL
    const fc_train_eval_set *evals;
    int n_evals;
    const char *out;    // run folder: checkpoint-STEP/, model/, train_log.csv, train_plot.svg
    const char *resume; // a checkpoint-STEP folder, or a run folder (its latest checkpoint)
    int overwrite;      // out may hold an earlier run (train_log.csv, checkpoint-N/, model/):
                        // 1 deletes those first; 0 refuses unless resume is given
    // Loss weights. alpha FC_TRAIN_ALPHA_AUTO: 1 when no training row has teacher logits (the
    // loss is then plain CE at the learning rate asked for), else 0.5, the article's weight.
    double alpha, beta;
    double lr, weight_decay, max_grad_norm; // max_grad_norm <= 0: no clipping
    double beta1, beta2, adam_eps;
    int batch_size, grad_accum;
    long steps;    // optimizer steps; <= 0: from epochs
    double epochs; // used when steps <= 0
    long warmup_steps;   // >= 0; or, when negative, warmup_ratio of the steps
    double warmup_ratio;
    fc_schedule schedule;
    int max_length; // tokens per pair; <= 0: no truncation
    uint64_t seed;
    long eval_every, save_every; // 0: only at the end
    int eval_batch_size;
    FILE *log; // progress lines; NULL for none
} fc_train_options;

// The defaults of the CLI (and of the article's loss): alpha auto (0.5 with teacher logits, 1
// without), beta 0.5, lr 5e-5, weight
// decay 0.01, clip 1.0, AdamW (0.9, 0.999, 1e-8), batch 32, 1 epoch, linear, max length 256.
fc_train_options fc_train_default_options(void);

typedef struct fc_train_summary {
    long steps;               // optimizer steps at the end
    double last_loss, last_ce, last_mse;
    double eval_accuracy[16]; // of each eval set at the end
    double seconds;
} fc_train_summary;

int fc_train_run(const fc_train_options *options, fc_train_summary *summary, fc_error *err);

#endif
