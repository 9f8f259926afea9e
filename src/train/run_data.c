// The run's data feed: packed micro-batches in the planned order, and evaluation batches.
#include <stdlib.h>
#include <string.h>

#include "dist/dist.h"
#include "train/run.h"
#include "util/alloc.h"

// Grows the token buffer; the per-row buffers are sized once for the larger batch size.
static void reserve_batch(fc_run *r, size_t tokens) {
    if (tokens > r->token_capacity) {
        r->token_capacity = tokens;
        r->ids = fc_realloc(r->ids, tokens * sizeof *r->ids);
    }
    if (!r->offsets) {
        size_t cap = (size_t)(r->o->batch_size > r->o->eval_batch_size ? r->o->batch_size
                                                                          : r->o->eval_batch_size);
        r->offsets = fc_malloc((cap + 1) * sizeof *r->offsets);
        r->labels = fc_malloc(cap * sizeof *r->labels);
        r->teacher = fc_malloc(cap * FC_LABEL_COUNT * sizeof *r->teacher);
        r->eval_logits = fc_malloc(cap * FC_LABEL_COUNT * sizeof *r->eval_logits);
        r->has_teacher = fc_malloc(cap);
    }
}

// Packs rows[0..n) of set; labels and teacher logits go to the model's label order.
fc_train_batch fc_run_pack(fc_run *r, const fc_train_set *set, const size_t *rows, size_t n) {
    size_t tokens = 0;
    for (size_t i = 0; i < n; i++) tokens += (size_t)set->rows[rows[i]].length;
    reserve_batch(r, tokens);
    const fc_train_model *m = &r->model;
    r->offsets[0] = 0;
    for (size_t i = 0; i < n; i++) {
        const fc_train_row *row = &set->rows[rows[i]];
        memcpy(r->ids + r->offsets[i], fc_train_row_ids(set, row), (size_t)row->length * sizeof *r->ids);
        r->offsets[i + 1] = r->offsets[i] + row->length;
        r->labels[i] = m->model_label[row->label];
        r->has_teacher[i] = (unsigned char)row->has_teacher;
        for (int j = 0; j < FC_LABEL_COUNT; j++)
            r->teacher[i * FC_LABEL_COUNT + j] = row->teacher[m->labels.canonical[j]];
    }
    return (fc_train_batch){.n_seqs = (int)n, .ids = r->ids, .offsets = r->offsets,
                            .labels = r->labels, .teacher = r->teacher,
                            .has_teacher = r->has_teacher};
}

// Micro-batch k of the endless stream of epochs.
fc_train_batch fc_run_micro_batch(fc_run *r, long k) {
    long epoch = k / (long)r->batches_per_epoch;
    size_t position = (size_t)(k % (long)r->batches_per_epoch);
    if (epoch != r->plan_epoch) { // epochs are entered in order, one at a time
        r->epoch_rng = r->rng;
        fc_epoch_plan_free(&r->plan);
        fc_epoch_plan_make(&r->plan, &r->train, r->o->batch_size, &r->rng);
        r->plan_epoch = epoch;
    }
    const size_t *rows = r->plan.order + r->plan.batch_start[position];
    size_t n = r->plan.batch_start[position + 1] - r->plan.batch_start[position];
    // Rows [lo, hi) are this rank's; the counts of the whole batch come from the plan, which
    // every rank has, so no message is needed to divide the loss.
    size_t lo = n * (size_t)r->rank / (size_t)r->ranks;
    size_t hi = n * (size_t)(r->rank + 1) / (size_t)r->ranks;
    size_t first_token = 0;
    int teacher_rows = 0;
    for (size_t i = 0; i < n; i++) {
        const fc_train_row *row = &r->train.rows[rows[i]];
        if (i < lo) first_token += (size_t)row->length;
        teacher_rows += row->has_teacher != 0;
    }
    fc_train_batch b = fc_run_pack(r, &r->train, rows + lo, hi - lo);
    b.total_rows = (int)n;
    b.total_teacher_rows = teacher_rows;
    b.first_row = lo;
    b.first_token = first_token;
    return b;
}

// ---------------------------------------------------------------------------------------------
// Evaluation

typedef struct length_row {
    int length;
    size_t row;
} length_row;

static int by_length(const void *a, const void *b) {
    const length_row *x = a, *y = b;
    if (x->length != y->length) return x->length < y->length ? -1 : 1;
    return x->row < y->row ? -1 : (x->row > y->row);
}

int fc_run_evaluate(fc_run *r, const fc_train_set *set, double *accuracy, fc_error *err) {
    size_t n = set->n_rows, correct = 0;
    length_row *order = fc_malloc(n * sizeof *order);
    size_t *rows = fc_malloc(n * sizeof *rows);
    for (size_t i = 0; i < n; i++) order[i] = (length_row){set->rows[i].length, i};
    qsort(order, n, sizeof *order, by_length);
    for (size_t i = 0; i < n; i++) rows[i] = order[i].row;
    int rc = 0;
    size_t step = (size_t)r->o->eval_batch_size;
    for (size_t start = 0; start < n && rc == 0; start += step) {
        if ((start / step) % (size_t)r->ranks != (size_t)r->rank) continue;
        size_t count = n - start < step ? n - start : step;
        fc_train_batch b = fc_run_pack(r, set, rows + start, count);
        rc = fc_trainer_logits(&r->trainer, b.ids, b.offsets, b.n_seqs, r->eval_logits, err);
        for (size_t i = 0; rc == 0 && i < count; i++) {
            const float *z = r->eval_logits + i * FC_LABEL_COUNT;
            int best = 0;
            for (int j = 1; j < FC_LABEL_COUNT; j++)
                if (z[j] > z[best]) best = j;
            correct += r->model.labels.canonical[best] == set->rows[rows[start + i]].label;
        }
    }
    free(order);
    free(rows);
    if (fc_dist_agree(rc, err) != 0) return -1;
    double total = (double)correct;
    fc_dist_sum_doubles(&total, 1);
    *accuracy = total / (double)n;
    return 0;
}

