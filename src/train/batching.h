// The order rows are trained in: shuffled with the run's own generator, then bucketed by
// length so that a packed batch holds pairs of similar length (the attention cost and the
// activation record follow the longest pair), then the batches themselves shuffled.
// Deterministic: the same rows and generator state give the same batches.
#ifndef FC_TRAIN_BATCHING_H
#define FC_TRAIN_BATCHING_H

#include <stddef.h>

#include "train/data.h"
#include "train/rng.h"

// Rows of one bucket are sorted by length; a bucket holds this many batches.
#define FC_BUCKET_BATCHES 32

typedef struct fc_epoch_plan {
    size_t *order;       // [n_rows] row indices, batch after batch
    size_t *batch_start; // [n_batches + 1] into order
    size_t n_batches;
} fc_epoch_plan;

// Batches of batch_size rows (the last one of the epoch may be smaller). Draws from rng.
void fc_epoch_plan_make(fc_epoch_plan *plan, const fc_train_set *set, int batch_size, fc_rng *rng);
void fc_epoch_plan_free(fc_epoch_plan *plan);

// Batches an epoch of n_rows has: ceil(n_rows / batch_size).
size_t fc_batches_per_epoch(size_t n_rows, int batch_size);

#endif
