#include "train/trainer.h"

#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"

void fc_trainer_init(fc_trainer *t, fc_train_model *model, double alpha, double beta,
                     int32_t sep_id) {
    memset(t, 0, sizeof *t);
    t->model = model;
    t->alpha = alpha;
    t->beta = beta;
    t->sep_id = sep_id;
    fc_modernbert_acts_init(&t->acts, 1);
    fc_bert_acts_init(&t->bert_acts, 1);
}

void fc_trainer_free(fc_trainer *t) {
    fc_modernbert_acts_free(&t->acts);
    fc_modernbert_grad_acts_free(&t->grad_acts);
    fc_bert_acts_free(&t->bert_acts);
    fc_bert_grad_acts_free(&t->bert_grad_acts);
    free(t->types);
    free(t->logits);
    free(t->dlogits);
    memset(t, 0, sizeof *t);
}

static int num_labels(const fc_trainer *t) {
    return t->model->arch == FC_TRAIN_BERT ? t->model->bert.num_labels
                                           : t->model->params.num_labels;
}

static void reserve_logits(fc_trainer *t, int n) {
    if (n <= t->capacity) return;
    int L = num_labels(t);
    t->capacity = n;
    t->logits = fc_realloc(t->logits, (size_t)n * L * sizeof(float));
    t->dlogits = fc_realloc(t->dlogits, (size_t)n * L * sizeof(float));
}

// BERT's forward with token types derived from the batch's [SEP] ids; training turns dropout
// on with the trainer's current seed.
static int bert_forward(fc_trainer *t, const int32_t *ids, const int32_t *offsets, int n_seqs,
                        int training, float *logits, fc_error *err) {
    fc_bert_params *p = &t->model->bert;
    size_t T = offsets[n_seqs] > 0 ? (size_t)offsets[n_seqs] : 1;
    if (T > t->types_capacity) {
        t->types = fc_realloc(t->types, T * sizeof *t->types);
        t->types_capacity = T;
    }
    fc_bert_token_types(&p->config, ids, offsets, n_seqs, t->sep_id, t->types);
    t->bert_acts.training = training;
    t->bert_acts.seed = t->dropout_seed;
    return fc_bert_forward_acts(&p->config, &p->weights, p->num_labels, &t->bert_acts, ids,
                                t->types, offsets, n_seqs, logits, err);
}

// The loss of a whole batch or of a share of one (fc_train_batch.total_rows).
static void batch_loss(fc_trainer *t, const fc_train_batch *b, double scale, fc_loss_parts *parts) {
    int L = num_labels(t);
    if (b->total_rows == 0)
        fc_distill_loss(t->logits, b->labels, b->teacher, b->has_teacher, b->n_seqs, L, t->alpha,
                        t->beta, scale, t->dlogits, parts);
    else
        fc_distill_loss_share(t->logits, b->labels, b->teacher, b->has_teacher, b->n_seqs, L,
                              t->alpha, t->beta, scale, b->total_rows, b->total_teacher_rows,
                              t->dlogits, parts);
}

int fc_trainer_accumulate(fc_trainer *t, const fc_train_batch *b, double scale,
                          fc_loss_parts *parts, fc_error *err) {
    if (b->n_seqs == 0) { // a rank's empty share of a batch smaller than the rank count
        memset(parts, 0, sizeof *parts);
        return 0;
    }
    reserve_logits(t, b->n_seqs);
    if (t->model->arch == FC_TRAIN_BERT) {
        fc_bert_params *p = &t->model->bert;
        // The forward and the backward draw the dropout masks of these rows in the whole batch.
        t->bert_acts.first_token = b->first_token;
        t->bert_acts.first_row = b->first_row;
        if (bert_forward(t, b->ids, b->offsets, b->n_seqs, 1, t->logits, err) != 0) return -1;
        batch_loss(t, b, scale, parts);
        return fc_bert_backward(&p->config, &p->weights, p->num_labels, &t->bert_acts,
                                &t->bert_grad_acts, b->ids, b->offsets, b->n_seqs, t->dlogits,
                                &p->named_grads, err);
    }
    fc_modernbert_params *p = &t->model->params;
    if (fc_modernbert_forward_acts(&p->config, &p->weights, p->num_labels, &t->acts, b->ids,
                                   b->offsets, b->n_seqs, t->logits, err) != 0)
        return -1;
    batch_loss(t, b, scale, parts);
    return fc_modernbert_backward(&p->config, &p->weights, p->num_labels, &t->acts, &t->grad_acts,
                                  b->ids, b->offsets, b->n_seqs, t->dlogits, &p->named_grads, err);
}

int fc_trainer_logits(fc_trainer *t, const int32_t *ids, const int32_t *offsets, int n_seqs,
                      float *logits, fc_error *err) {
    if (t->model->arch == FC_TRAIN_BERT)
        return bert_forward(t, ids, offsets, n_seqs, 0, logits, err);
    fc_modernbert_params *p = &t->model->params;
    return fc_modernbert_forward_acts(&p->config, &p->weights, p->num_labels, &t->acts, ids,
                                      offsets, n_seqs, logits, err);
}
