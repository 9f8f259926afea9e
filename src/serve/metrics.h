// The server's counters and histograms, and their Prometheus text exposition (GET /metrics).
// Every function may be called from any thread.
#ifndef FC_SERVE_METRICS_H
#define FC_SERVE_METRICS_H

#include <stddef.h>

#include "tokenizer/textbuf.h"

typedef enum fc_endpoint {
    FC_ENDPOINT_PREDICT,
    FC_ENDPOINT_ZEROSHOT,
    FC_ENDPOINT_CHECK,
    FC_ENDPOINT_RERANK,
    FC_ENDPOINT_TOKENIZE,
    FC_ENDPOINT_HEALTH,
    FC_ENDPOINT_INFO,
    FC_ENDPOINT_OPENAPI,
    FC_ENDPOINT_METRICS,
    FC_ENDPOINT_OTHER, // unknown routes
    FC_ENDPOINT_COUNT,
} fc_endpoint;

// The route of each endpoint ("/predict", ...; "other" for FC_ENDPOINT_OTHER).
const char *fc_endpoint_path(fc_endpoint endpoint);

typedef struct fc_metrics fc_metrics;

fc_metrics *fc_metrics_create(void);
void fc_metrics_free(fc_metrics *metrics);

// One answered request: its status and how long it took from the first byte to the answer;
// error_type is NULL for a success, else the "error_type" of the JSON error body.
void fc_metrics_request(fc_metrics *metrics, fc_endpoint endpoint, int status,
                        const char *error_type, double seconds);
// One forward of the inference worker: sequences, tokens, and its duration.
void fc_metrics_forward(fc_metrics *metrics, size_t n_sequences, size_t n_tokens, double seconds);
// The time a request's pairs waited in the queue before the worker took the first of them.
void fc_metrics_queue_wait(fc_metrics *metrics, double seconds);

// Appends the whole exposition; in_flight and queued are gauges read by the caller.
void fc_metrics_render(fc_metrics *metrics, int in_flight, int queued, fc_textbuf *out);

#endif
