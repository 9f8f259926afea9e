#include "train/trainer.h"

#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"

void fc_trainer_init(fc_trainer *t, fc_train_model *model, double alpha, double beta) {
    memset(t, 0, sizeof *t);
    t->model = model;
    t->alpha = alpha;
    t->beta = beta;
    fc_modernbert_acts_init(&t->acts, 1);
}

void fc_trainer_free(fc_trainer *t) {
    fc_modernbert_acts_free(&t->acts);
    fc_modernbert_grad_acts_free(&t->grad_acts);
    free(t->logits);
    free(t->dlogits);
    memset(t, 0, sizeof *t);
}

static void reserve_logits(fc_trainer *t, int n) {
    if (n <= t->capacity) return;
    int L = t->model->params.num_labels;
    t->capacity = n;
    t->logits = fc_realloc(t->logits, (size_t)n * L * sizeof(float));
    t->dlogits = fc_realloc(t->dlogits, (size_t)n * L * sizeof(float));
}

int fc_trainer_accumulate(fc_trainer *t, const fc_train_batch *b, double scale,
                          fc_loss_parts *parts, fc_error *err) {
    fc_modernbert_params *p = &t->model->params;
    reserve_logits(t, b->n_seqs);
    if (fc_modernbert_forward_acts(&p->config, &p->weights, p->num_labels, &t->acts, b->ids,
                                   b->offsets, b->n_seqs, t->logits, err) != 0)
        return -1;
    fc_distill_loss(t->logits, b->labels, b->teacher, b->has_teacher, b->n_seqs, p->num_labels,
                    t->alpha, t->beta, scale, t->dlogits, parts);
    return fc_modernbert_backward(&p->config, &p->weights, p->num_labels, &t->acts, &t->grad_acts,
                                  b->ids, b->offsets, b->n_seqs, t->dlogits, &p->named_grads, err);
}

int fc_trainer_logits(fc_trainer *t, const int32_t *ids, const int32_t *offsets, int n_seqs,
                      float *logits, fc_error *err) {
    fc_modernbert_params *p = &t->model->params;
    return fc_modernbert_forward_acts(&p->config, &p->weights, p->num_labels, &t->acts, ids,
                                      offsets, n_seqs, logits, err);
}
