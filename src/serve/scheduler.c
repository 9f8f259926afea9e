#include "kernels/cpu/gemm.h"
#include "serve/scheduler.h"

#include <omp.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/alloc.h"
#include "util/error.h"

typedef fc_scheduler_job job;

// One sequence of the forward being run.
typedef struct batch_item {
    job *owner;
    size_t index;
} batch_item;

struct fc_scheduler {
    fc_model *model;
    fc_metrics *metrics;
    size_t max_batch_tokens;
    int max_in_flight;
    int threads;
    size_t num_labels;

    pthread_mutex_t lock;
    pthread_cond_t work;     // the worker waits here for jobs or the stop
    job *head, *tail;        // jobs with sequences not yet taken
    int queued;              // jobs in the list
    int in_flight;
    int stopping;
    int worker_running;
    pthread_t worker;

    // The worker's reused buffers.
    batch_item *items;
    size_t items_capacity;
    int32_t *ids;
    size_t ids_capacity;
    int32_t *offsets;
    float *logits;
    job **finished; // the jobs a forward completed, called back once the lock is released
};

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

// Takes sequences from the head of the queue while they fit the token budget (the first one
// always goes, even alone over budget). Jobs whose every sequence is taken leave the list.
// Called with the lock held; returns the number of items and their token total.
static size_t take_batch(fc_scheduler *s, size_t *total_tokens) {
    size_t count = 0, total = 0;
    double now = now_seconds();
    while (s->head) {
        job *j = s->head;
        while (j->next_to_take < j->n) {
            size_t len = j->seqs[j->next_to_take].len;
            if (count > 0 && total + len > s->max_batch_tokens) goto full;
            if (j->next_to_take == 0) fc_metrics_queue_wait(s->metrics, now - j->enqueued_at);
            if (count == s->items_capacity) {
                s->items_capacity = s->items_capacity ? s->items_capacity * 2 : 64;
                s->items = fc_realloc(s->items, s->items_capacity * sizeof *s->items);
            }
            s->items[count++] = (batch_item){j, j->next_to_take++};
            total += len;
        }
        s->head = j->next;
        if (!s->head) s->tail = NULL;
        s->queued--;
    }
full:
    *total_tokens = total;
    return count;
}

// Packs the taken sequences end to end and runs one forward (without the lock: the jobs'
// sequences are immutable until done, and only this thread touches the buffers).
static int run_batch(fc_scheduler *s, size_t count, size_t total, fc_error *err) {
    if (total > INT32_MAX) return fc_fail(err, "a forward of %zu tokens is too large", total);
    if (total > s->ids_capacity) {
        int32_t *ids = fc_try_realloc_array(s->ids, total, sizeof *s->ids);
        if (!ids) return fc_fail_out_of_memory(err, "the token ids of a batch", total * sizeof *ids);
        s->ids = ids;
        s->ids_capacity = total;
    }
    int32_t *offsets = fc_try_realloc_array(s->offsets, count + 1, sizeof *s->offsets);
    if (!offsets) return fc_fail_out_of_memory(err, "the batch offsets", (count + 1) * 4);
    s->offsets = offsets;
    float *logits = fc_try_realloc_array(s->logits, count * s->num_labels, sizeof *s->logits);
    if (!logits)
        return fc_fail_out_of_memory(err, "the batch logits", count * s->num_labels * sizeof *logits);
    s->logits = logits;
    s->offsets[0] = 0;
    for (size_t k = 0; k < count; k++) {
        const fc_ids *seq = &s->items[k].owner->seqs[s->items[k].index];
        if (seq->len) memcpy(s->ids + s->offsets[k], seq->ids, seq->len * sizeof *s->ids);
        s->offsets[k + 1] = s->offsets[k] + (int32_t)seq->len;
    }
    double start = now_seconds();
    int status = fc_model_forward(s->model, s->ids, s->offsets, (int)count, s->logits, err);
    fc_metrics_forward(s->metrics, count, total, now_seconds() - start);
    return status;
}

static void *worker_main(void *arg) {
    fc_scheduler *s = arg;
    // OpenMP's thread count is a per-thread setting: set it here, where the forwards run.
    // OpenBLAS keeps its own pool (global), whose idle threads spin; both follow --threads.
    if (s->threads > 0) {
        fc_set_threads(s->threads);
    }
    pthread_mutex_lock(&s->lock);
    for (;;) {
        while (!s->head && !s->stopping) pthread_cond_wait(&s->work, &s->lock);
        if (!s->head) break; // stopping, and nothing left
        size_t total;
        size_t count = take_batch(s, &total);
        pthread_mutex_unlock(&s->lock);
        fc_error err;
        int status = run_batch(s, count, total, &err);
        s->finished = fc_realloc(s->finished, count * sizeof *s->finished);
        size_t n_finished = 0;
        pthread_mutex_lock(&s->lock);
        for (size_t k = 0; k < count; k++) {
            job *j = s->items[k].owner;
            if (status == 0)
                memcpy(j->logits + s->items[k].index * s->num_labels,
                       s->logits + k * s->num_labels, s->num_labels * sizeof *s->logits);
            else if (!j->failed) {
                j->failed = 1;
                j->err = err;
            }
            if (++j->done == j->n) s->finished[n_finished++] = j;
        }
        pthread_mutex_unlock(&s->lock);
        // Without the lock: a callback may take other locks (the server's, libmicrohttpd's).
        for (size_t k = 0; k < n_finished; k++) s->finished[k]->on_done(s->finished[k]->cls);
        pthread_mutex_lock(&s->lock);
    }
    pthread_mutex_unlock(&s->lock);
    return NULL;
}

int fc_scheduler_start(fc_model *model, int max_batch_tokens, int max_in_flight, int threads,
                       fc_metrics *metrics, fc_scheduler **out, fc_error *err) {
    fc_scheduler *s = fc_calloc(1, sizeof *s);
    s->model = model;
    s->metrics = metrics;
    s->max_batch_tokens = max_batch_tokens > 0 ? (size_t)max_batch_tokens : 8192;
    s->max_in_flight = max_in_flight;
    s->threads = threads;
    s->num_labels = (size_t)fc_model_num_labels(model);
    pthread_mutex_init(&s->lock, NULL);
    pthread_cond_init(&s->work, NULL);
    if (pthread_create(&s->worker, NULL, worker_main, s) != 0) {
        pthread_cond_destroy(&s->work);
        pthread_mutex_destroy(&s->lock);
        free(s);
        return fc_fail(err, "cannot start the inference thread");
    }
    s->worker_running = 1;
    *out = s;
    return 0;
}

void fc_scheduler_stop(fc_scheduler *s) {
    if (!s || !s->worker_running) return;
    pthread_mutex_lock(&s->lock);
    s->stopping = 1;
    pthread_cond_signal(&s->work);
    pthread_mutex_unlock(&s->lock);
    pthread_join(s->worker, NULL);
    s->worker_running = 0;
}

void fc_scheduler_free(fc_scheduler *s) {
    if (!s) return;
    fc_scheduler_stop(s);
    pthread_cond_destroy(&s->work);
    pthread_mutex_destroy(&s->lock);
    free(s->items);
    free(s->ids);
    free(s->offsets);
    free(s->logits);
    free(s->finished);
    free(s);
}

int fc_scheduler_admit(fc_scheduler *s) {
    pthread_mutex_lock(&s->lock);
    int admitted = s->in_flight < s->max_in_flight;
    if (admitted) s->in_flight++;
    pthread_mutex_unlock(&s->lock);
    return admitted;
}

void fc_scheduler_leave(fc_scheduler *s) {
    pthread_mutex_lock(&s->lock);
    s->in_flight--;
    pthread_mutex_unlock(&s->lock);
}

void fc_scheduler_submit(fc_scheduler *s, job *j) {
    j->next_to_take = j->done = 0;
    j->failed = 0;
    j->next = NULL;
    if (j->n == 0) {
        j->on_done(j->cls);
        return;
    }
    j->enqueued_at = now_seconds();
    pthread_mutex_lock(&s->lock);
    if (s->tail)
        s->tail->next = j;
    else
        s->head = j;
    s->tail = j;
    s->queued++;
    pthread_cond_signal(&s->work);
    pthread_mutex_unlock(&s->lock);
}

void fc_scheduler_counts(fc_scheduler *s, int *in_flight, int *queued) {
    pthread_mutex_lock(&s->lock);
    *in_flight = s->in_flight;
    *queued = s->queued;
    pthread_mutex_unlock(&s->lock);
}
