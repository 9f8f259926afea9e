// Dynamic batching: one inference worker thread owns the model (fc_model is not thread-safe)
// and runs the encoded pairs of all waiting requests together, in forwards of at most
// max_batch_tokens tokens. Request threads submit their pairs and block until their logits
// are written. Admission is bounded: at most max_in_flight requests at a time, counted from
// admission to fc_scheduler_leave, so a burst gets 429s instead of a queue that grows without
// bound.
#ifndef FC_SERVE_SCHEDULER_H
#define FC_SERVE_SCHEDULER_H

#include <stddef.h>

#include "finecat.h"
#include "serve/metrics.h"

typedef struct fc_scheduler fc_scheduler;

// threads > 0 sets the worker's OpenMP thread count; 0 keeps the default.
int fc_scheduler_start(fc_model *model, int max_batch_tokens, int max_in_flight, int threads,
                       fc_metrics *metrics, fc_scheduler **out, fc_error *err);

// Finishes the queued work, stops the worker thread and frees the scheduler. Call once no
// request thread can submit any more.
void fc_scheduler_stop(fc_scheduler *scheduler);

// 1 if the request is admitted (then call fc_scheduler_leave when it is answered), 0 if
// max_in_flight requests are already in.
int fc_scheduler_admit(fc_scheduler *scheduler);
void fc_scheduler_leave(fc_scheduler *scheduler);

// Runs n sequences through the model with whatever else is queued and waits for them;
// logits [n, num_labels]. Fails with the forward's message if the forward failed.
int fc_scheduler_run(fc_scheduler *scheduler, const fc_ids *seqs, size_t n, float *logits,
                     fc_error *err);

// Gauges for /metrics: admitted requests, and requests with pairs in the queue.
void fc_scheduler_counts(fc_scheduler *scheduler, int *in_flight, int *queued);

#endif
