#include "train/batching.h"

#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"

size_t fc_batches_per_epoch(size_t n_rows, int batch_size) {
    return (n_rows + (size_t)batch_size - 1) / (size_t)batch_size;
}

static void shuffle(size_t *x, size_t n, fc_rng *rng) {
    for (size_t i = n; i > 1; i--) { // Fisher-Yates
        size_t j = (size_t)fc_rng_below(rng, i);
        size_t t = x[i - 1];
        x[i - 1] = x[j];
        x[j] = t;
    }
}

typedef struct keyed_row {
    int length;
    size_t position; // in the shuffled order: ties keep it, so the sort is stable
    size_t row;
} keyed_row;

static int by_length(const void *a, const void *b) {
    const keyed_row *x = a, *y = b;
    if (x->length != y->length) return x->length < y->length ? -1 : 1;
    return x->position < y->position ? -1 : (x->position > y->position);
}

void fc_epoch_plan_make(fc_epoch_plan *plan, const fc_train_set *set, int batch_size, fc_rng *rng) {
    size_t n = set->n_rows;
    plan->order = fc_malloc(n * sizeof *plan->order);
    for (size_t i = 0; i < n; i++) plan->order[i] = i;
    shuffle(plan->order, n, rng);

    // Sort each bucket of FC_BUCKET_BATCHES batches by length.
    size_t bucket = (size_t)batch_size * FC_BUCKET_BATCHES;
    keyed_row *keyed = fc_malloc((bucket < n ? bucket : n) * sizeof *keyed + 1);
    for (size_t start = 0; start < n; start += bucket) {
        size_t count = n - start < bucket ? n - start : bucket;
        for (size_t i = 0; i < count; i++) {
            size_t row = plan->order[start + i];
            keyed[i] = (keyed_row){set->rows[row].length, i, row};
        }
        qsort(keyed, count, sizeof *keyed, by_length);
        for (size_t i = 0; i < count; i++) plan->order[start + i] = keyed[i].row;
    }
    free(keyed);

    // Cut into batches, then shuffle the batches so that lengths do not rise through an epoch.
    plan->n_batches = fc_batches_per_epoch(n, batch_size);
    size_t *batch_order = fc_malloc(plan->n_batches * sizeof *batch_order);
    for (size_t b = 0; b < plan->n_batches; b++) batch_order[b] = b;
    shuffle(batch_order, plan->n_batches, rng);
    size_t *order = fc_malloc(n * sizeof *order);
    plan->batch_start = fc_malloc((plan->n_batches + 1) * sizeof *plan->batch_start);
    size_t used = 0;
    for (size_t b = 0; b < plan->n_batches; b++) {
        size_t first = batch_order[b] * (size_t)batch_size;
        size_t count = n - first < (size_t)batch_size ? n - first : (size_t)batch_size;
        plan->batch_start[b] = used;
        memcpy(order + used, plan->order + first, count * sizeof *order);
        used += count;
    }
    plan->batch_start[plan->n_batches] = used;
    free(plan->order);
    free(batch_order);
    plan->order = order;
}

void fc_epoch_plan_free(fc_epoch_plan *plan) {
    free(plan->order);
    free(plan->batch_start);
    memset(plan, 0, sizeof *plan);
}
