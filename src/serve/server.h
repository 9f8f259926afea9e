// `finecat serve`: an HTTP server for one model (libmicrohttpd, a thread per connection; one
// inference worker owns the model and batches the requests' pairs, see scheduler.h).
//
// Routes: POST /predict, POST /zero-shot, POST /check, GET /health, GET /info, GET /metrics.
// Errors: JSON {"error", "error_type"} with 400 (body not UTF-8 or not JSON), 404 (unknown
// route), 405 (wrong method), 413 (body over max_body_bytes, more pairs than
// max_client_batch_size, an input over the model's max length without truncation), 422
// (wrong fields or types, empty lists, text the tokenizer refuses), 429 (max_concurrent_requests
// requests already in), 500 (the forward failed), 503 (a request that arrives on a kept-alive
// connection while the server drains at stop; the connection is then closed).
#ifndef FC_SERVE_SERVER_H
#define FC_SERVE_SERVER_H

#include <stddef.h>

#include "finecat.h"

typedef struct fc_server_options {
    const char *host;            // address to bind; default "127.0.0.1"
    int port;                    // 0: any free port (see fc_server_port)
    const char *model_dir;       // reported by /info
    int max_batch_tokens;        // tokens per forward across requests; default 8192
    int max_concurrent_requests; // admitted at once, past it 429; default 512
    size_t max_body_bytes;       // default 2 MiB
    int max_client_batch_size;   // pairs of one request (texts x labels for zero-shot, answer
                                 // sentences for check); default 32
    int threads;                 // OpenMP threads of the inference worker; 0: the default
    double drain_seconds;        // longest wait for in-flight requests at stop; default 30
} fc_server_options;

fc_server_options fc_server_default_options(void);

typedef struct fc_server fc_server;

// Binds and starts serving; the model must outlive the server.
int fc_server_start(fc_model *model, const fc_server_options *options, fc_server **out,
                    fc_error *err);

// The port the server listens on (useful after port 0).
int fc_server_port(const fc_server *server);

// Stops accepting connections, lets the requests in flight finish (up to drain_seconds;
// newer requests on kept-alive connections get a 503), closes every connection, stops the
// worker and frees the server.
void fc_server_stop(fc_server *server);

#endif
