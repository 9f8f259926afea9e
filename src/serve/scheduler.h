// Dynamic batching: one inference worker thread owns the model (fc_model is not thread-safe)
// and runs the encoded pairs of all waiting requests together, in forwards of at most
// max_batch_tokens tokens. A request submits its pairs as a job and is called back on the
// worker thread once their logits are written, so the HTTP threads never wait on a forward
// (the server suspends the connection meanwhile). Admission is bounded: at most max_in_flight
// requests at a time, counted from admission to fc_scheduler_leave, so a burst gets 429s
// instead of a queue that grows without bound.
#ifndef FC_SERVE_SCHEDULER_H
#define FC_SERVE_SCHEDULER_H

#include <stddef.h>

#include "finecat.h"
#include "serve/metrics.h"

typedef struct fc_scheduler fc_scheduler;

// The pairs of one request. The submitter fills seqs, n, logits ([n, num_labels]), on_done and
// cls, and keeps the job (and what it points to) alive until on_done is called.
typedef struct fc_scheduler_job {
    const fc_ids *seqs;
    size_t n;
    float *logits;
    // Called once on the worker thread when every logit is written or the forward failed; the
    // worker does not touch the job after it, so on_done may hand it to a thread that frees it.
    void (*on_done)(void *cls);
    void *cls;
    int failed; // then err holds the forward's message
    fc_error err;

    // The scheduler's bookkeeping.
    size_t next_to_take; // sequences [0, next_to_take) are taken by the worker
    size_t done;         // sequences whose logits are written
    double enqueued_at;
    struct fc_scheduler_job *next;
} fc_scheduler_job;

// threads > 0 sets the worker's OpenMP thread count; 0 keeps the default.
int fc_scheduler_start(fc_model *model, int max_batch_tokens, int max_in_flight, int threads,
                       fc_metrics *metrics, fc_scheduler **out, fc_error *err);

// Finishes the queued work (calling every job's on_done) and stops the worker thread. Call
// once no thread can submit any more.
void fc_scheduler_stop(fc_scheduler *scheduler);
// Frees a stopped scheduler (fc_scheduler_leave may be called between stop and free).
void fc_scheduler_free(fc_scheduler *scheduler);

// 1 if the request is admitted (then call fc_scheduler_leave when it is answered), 0 if
// max_in_flight requests are already in.
int fc_scheduler_admit(fc_scheduler *scheduler);
void fc_scheduler_leave(fc_scheduler *scheduler);

// Queues the job's sequences to run with whatever else is queued; returns at once. A job of
// no sequences is done at once (on_done runs on the calling thread).
void fc_scheduler_submit(fc_scheduler *scheduler, fc_scheduler_job *job);

// Gauges for /metrics: admitted requests, and requests with pairs in the queue.
void fc_scheduler_counts(fc_scheduler *scheduler, int *in_flight, int *queued);

#endif
