#include "serve/metrics.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tasks/result_json.h"
#include "util/alloc.h"

// Statuses the server answers with; any other one is counted under "other".
static const int known_statuses[] = {200, 400, 404, 405, 413, 422, 429, 500, 503};
enum { N_STATUSES = sizeof known_statuses / sizeof known_statuses[0] + 1 };

// The "error_type" values of the server's JSON errors.
static const char *const error_types[] = {
    "invalid_json", "invalid_utf8", "validation", "payload_too_large", "tokenizer",
    "overloaded",   "backend",      "not_found",  "method_not_allowed", "unavailable",
    "out_of_memory",
};
enum { N_ERROR_TYPES = sizeof error_types / sizeof error_types[0] + 1 };

static const double seconds_buckets[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                         0.1,    0.25,  0.5,    1.0,   2.5,  5.0,   10.0};
static const double size_buckets[] = {1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024};
static const double token_buckets[] = {64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384, 32768};
enum { MAX_BUCKETS = 16 };

typedef struct histogram {
    const double *bounds;
    size_t n_bounds;
    unsigned long long counts[MAX_BUCKETS]; // per bucket, not cumulative; last = +Inf
    unsigned long long count;
    double sum;
} histogram;

struct fc_metrics {
    pthread_mutex_t lock;
    unsigned long long requests[FC_ENDPOINT_COUNT][N_STATUSES];
    unsigned long long errors[FC_ENDPOINT_COUNT][N_ERROR_TYPES];
    histogram request_seconds[FC_ENDPOINT_COUNT];
    histogram queue_seconds, inference_seconds, batch_sequences, batch_tokens;
    unsigned long long tokens, sequences, forwards;
};

static const char *const endpoint_paths[FC_ENDPOINT_COUNT] = {
    "/predict", "/zero-shot", "/check",        "/rerank", "/tokenize",
    "/health",  "/info",      "/openapi.json", "/metrics", "other",
};

const char *fc_endpoint_path(fc_endpoint endpoint) {
    return endpoint_paths[endpoint];
}

static void histogram_init(histogram *h, const double *bounds, size_t n_bounds) {
    memset(h, 0, sizeof *h);
    h->bounds = bounds;
    h->n_bounds = n_bounds;
}

static void histogram_observe(histogram *h, double value) {
    size_t i = 0;
    while (i < h->n_bounds && value > h->bounds[i]) i++;
    h->counts[i]++;
    h->count++;
    h->sum += value;
}

fc_metrics *fc_metrics_create(void) {
    fc_metrics *m = fc_calloc(1, sizeof *m);
    pthread_mutex_init(&m->lock, NULL);
    size_t n_seconds = sizeof seconds_buckets / sizeof seconds_buckets[0];
    for (int e = 0; e < FC_ENDPOINT_COUNT; e++)
        histogram_init(&m->request_seconds[e], seconds_buckets, n_seconds);
    histogram_init(&m->queue_seconds, seconds_buckets, n_seconds);
    histogram_init(&m->inference_seconds, seconds_buckets, n_seconds);
    histogram_init(&m->batch_sequences, size_buckets, sizeof size_buckets / sizeof size_buckets[0]);
    histogram_init(&m->batch_tokens, token_buckets, sizeof token_buckets / sizeof token_buckets[0]);
    return m;
}

void fc_metrics_free(fc_metrics *m) {
    if (!m) return;
    pthread_mutex_destroy(&m->lock);
    free(m);
}

static size_t status_index(int status) {
    for (size_t i = 0; i + 1 < N_STATUSES; i++)
        if (known_statuses[i] == status) return i;
    return N_STATUSES - 1;
}

static size_t error_index(const char *type) {
    for (size_t i = 0; i + 1 < N_ERROR_TYPES; i++)
        if (strcmp(error_types[i], type) == 0) return i;
    return N_ERROR_TYPES - 1;
}

void fc_metrics_request(fc_metrics *m, fc_endpoint endpoint, int status, const char *error_type,
                        double seconds) {
    pthread_mutex_lock(&m->lock);
    m->requests[endpoint][status_index(status)]++;
    if (error_type) m->errors[endpoint][error_index(error_type)]++;
    histogram_observe(&m->request_seconds[endpoint], seconds);
    pthread_mutex_unlock(&m->lock);
}

void fc_metrics_forward(fc_metrics *m, size_t n_sequences, size_t n_tokens, double seconds) {
    pthread_mutex_lock(&m->lock);
    histogram_observe(&m->batch_sequences, (double)n_sequences);
    histogram_observe(&m->batch_tokens, (double)n_tokens);
    histogram_observe(&m->inference_seconds, seconds);
    m->tokens += n_tokens;
    m->sequences += n_sequences;
    m->forwards++;
    pthread_mutex_unlock(&m->lock);
}

void fc_metrics_queue_wait(fc_metrics *m, double seconds) {
    pthread_mutex_lock(&m->lock);
    histogram_observe(&m->queue_seconds, seconds);
    pthread_mutex_unlock(&m->lock);
}

static void header(fc_textbuf *out, const char *name, const char *type, const char *help) {
    fc_jsonbuf_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

// One histogram's series; labels is "" or `key="value",` (with the trailing comma).
static void render_histogram(fc_textbuf *out, const char *name, const char *labels,
                             const histogram *h) {
    unsigned long long cumulative = 0;
    for (size_t i = 0; i <= h->n_bounds; i++) {
        cumulative += h->counts[i];
        if (i < h->n_bounds)
            fc_jsonbuf_printf(out, "%s_bucket{%sle=\"%g\"} %llu\n", name, labels, h->bounds[i],
                              cumulative);
        else
            fc_jsonbuf_printf(out, "%s_bucket{%sle=\"+Inf\"} %llu\n", name, labels, cumulative);
    }
    size_t n = strlen(labels);
    // The _sum and _count series take the same labels without the trailing comma.
    fc_jsonbuf_printf(out, "%s_sum%s%.*s%s %.9g\n", name, n ? "{" : "", n ? (int)n - 1 : 0, labels,
                      n ? "}" : "", h->sum);
    fc_jsonbuf_printf(out, "%s_count%s%.*s%s %llu\n", name, n ? "{" : "", n ? (int)n - 1 : 0,
                      labels, n ? "}" : "", h->count);
}

void fc_metrics_render(fc_metrics *m, int in_flight, int queued, fc_textbuf *out) {
    pthread_mutex_lock(&m->lock);
    header(out, "finecat_requests_total", "counter", "HTTP requests answered, by endpoint and status.");
    for (int e = 0; e < FC_ENDPOINT_COUNT; e++)
        for (size_t s = 0; s < N_STATUSES; s++) {
            if (!m->requests[e][s]) continue;
            if (s + 1 < N_STATUSES)
                fc_jsonbuf_printf(out, "finecat_requests_total{endpoint=\"%s\",status=\"%d\"} %llu\n",
                                  endpoint_paths[e], known_statuses[s], m->requests[e][s]);
            else
                fc_jsonbuf_printf(out, "finecat_requests_total{endpoint=\"%s\",status=\"other\"} %llu\n",
                                  endpoint_paths[e], m->requests[e][s]);
        }
    header(out, "finecat_errors_total", "counter", "Requests answered with an error, by endpoint and error_type.");
    for (int e = 0; e < FC_ENDPOINT_COUNT; e++)
        for (size_t t = 0; t < N_ERROR_TYPES; t++) {
            if (!m->errors[e][t]) continue;
            fc_jsonbuf_printf(out, "finecat_errors_total{endpoint=\"%s\",error_type=\"%s\"} %llu\n",
                              endpoint_paths[e], t + 1 < N_ERROR_TYPES ? error_types[t] : "other",
                              m->errors[e][t]);
        }
    header(out, "finecat_requests_in_flight", "gauge", "Requests admitted and not yet answered (the bounded queue).");
    fc_jsonbuf_printf(out, "finecat_requests_in_flight %d\n", in_flight);
    header(out, "finecat_queue_requests", "gauge", "Requests whose pairs wait for the inference worker.");
    fc_jsonbuf_printf(out, "finecat_queue_requests %d\n", queued);
    header(out, "finecat_request_duration_seconds", "histogram", "Time from a request's arrival to its answer.");
    for (int e = 0; e < FC_ENDPOINT_COUNT; e++) {
        if (!m->request_seconds[e].count) continue;
        char labels[64];
        snprintf(labels, sizeof labels, "endpoint=\"%s\",", endpoint_paths[e]);
        render_histogram(out, "finecat_request_duration_seconds", labels, &m->request_seconds[e]);
    }
    header(out, "finecat_queue_seconds", "histogram", "Time a request's pairs waited before the worker took the first.");
    render_histogram(out, "finecat_queue_seconds", "", &m->queue_seconds);
    header(out, "finecat_inference_seconds", "histogram", "Duration of one forward pass.");
    render_histogram(out, "finecat_inference_seconds", "", &m->inference_seconds);
    header(out, "finecat_batch_size", "histogram", "Sequences per forward pass (dynamic batching across requests).");
    render_histogram(out, "finecat_batch_size", "", &m->batch_sequences);
    header(out, "finecat_batch_tokens", "histogram", "Tokens per forward pass.");
    render_histogram(out, "finecat_batch_tokens", "", &m->batch_tokens);
    header(out, "finecat_tokens_total", "counter", "Tokens run through the model.");
    fc_jsonbuf_printf(out, "finecat_tokens_total %llu\n", m->tokens);
    header(out, "finecat_sequences_total", "counter", "Sequences (pairs) run through the model.");
    fc_jsonbuf_printf(out, "finecat_sequences_total %llu\n", m->sequences);
    header(out, "finecat_forwards_total", "counter", "Forward passes run.");
    fc_jsonbuf_printf(out, "finecat_forwards_total %llu\n", m->forwards);
    pthread_mutex_unlock(&m->lock);
}
