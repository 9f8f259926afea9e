// `finecat serve`: an HTTP server for one model. libmicrohttpd's event loop (epoll) runs on a
// small pool of threads that parse requests and tokenize; one inference worker owns the model
// and batches the requests' pairs (scheduler.h). A request waiting for the worker suspends its
// connection, so a pool thread keeps serving every other socket meanwhile, and idle or slow
// sockets cost a descriptor and a little memory, not a thread.
//
// Routes: POST /predict, /zero-shot, /check, /rerank, /tokenize; GET /health, /info,
// /openapi.json, /metrics. Errors: JSON {"error", "error_type"} with 400 (body not UTF-8 or not
// JSON), 404 (unknown route), 405 (wrong method), 413 (body over max_body_bytes, more pairs
// than max_client_batch_size, an input over the model's max length without truncation), 422
// (unknown, missing or mistyped fields, empty lists, text the tokenizer refuses), 429
// (max_concurrent_requests requests already in), 500 (the forward failed), 503 (the forward
// ran out of memory; a connection opened past max_connections; a request that arrives on a
// kept-alive connection while the server drains at stop; the last two close the connection).
#ifndef FC_SERVE_SERVER_H
#define FC_SERVE_SERVER_H

#include <stddef.h>

#include "finecat.h"
#include "serve/access_log.h"

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
    int max_connections;         // open at once; past it the request gets a 503; default 4096
    int max_connections_per_ip;  // from one client address, past it refused at accept;
                                 // 0: no cap; default 1024
    double request_deadline;     // seconds a connection has to deliver a complete request
                                 // after opening or after its previous reply; default 30
    int http_threads;            // libmicrohttpd's event-loop threads; default 4
    fc_log_format log_format;    // one line per request on stderr; default text
    const char *dtype;           // reported by /info: how the weights are held; default "float32"
} fc_server_options;

fc_server_options fc_server_default_options(void);

typedef struct fc_server fc_server;

// Binds and starts serving; the model must outlive the server.
int fc_server_start(fc_model *model, const fc_server_options *options, fc_server **out,
                    fc_error *err);

// The port the server listens on (useful after port 0).
int fc_server_port(const fc_server *server);

// The routes the server dispatches: the path of route i and its method in *method, or NULL
// past the last (for the tests that hold /openapi.json to them).
const char *fc_server_route(size_t i, const char **method);

// Stops accepting connections, lets the requests in flight finish (up to drain_seconds;
// newer requests on kept-alive connections get a 503), closes every connection, stops the
// worker and frees the server.
void fc_server_stop(fc_server *server);

#endif
