// The HTTP glue on libmicrohttpd: routing, body collection under max_body_bytes, suspending a
// connection while its pairs are in the scheduler, replies, the request log, connection
// limits, and request accounting for the drain at stop. Everything about the endpoints'
// content lives in handlers; everything about batching in the scheduler; the connection cap
// and the request deadline in connections.
#include "serve/server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netdb.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "serve/connections.h"
#include "serve/handlers.h"
#include "serve/metrics.h"
#include "serve/model_identity.h"
#include "serve/reply.h"
#include "serve/scheduler.h"
#include "tokenizer/utf8.h"
#include "util/alloc.h"
#include "util/error.h"

// libmicrohttpd's own connection limit is max_connections plus an eighth (at least 64), so
// that the connections past max_connections are accepted and answered with a 503: past
// libmicrohttpd's limit they would wait unanswered in the listen backlog. Those overflow
// connections get a short deadline (connections.c), so their slots turn over quickly.
static unsigned overflow_connections(int max_connections) {
    unsigned eighth = (unsigned)max_connections / 8;
    return eighth > 64 ? eighth : 64;
}
// Descriptors the process needs besides its connections: the model's files, epoll and
// inter-thread pipes, standard streams.
enum { RESERVED_DESCRIPTORS = 64 };

struct fc_server {
    struct MHD_Daemon *daemon;
    fc_server_options options;
    char *host;
    char *model_dir;
    char *dtype;
    char *model_id;
    char *model_arch;
    int port;
    fc_metrics *metrics;
    fc_scheduler *scheduler;
    fc_connections *connections;
    fc_serve_context context;

    pthread_mutex_t lock;
    pthread_cond_t idle; // signalled when active_requests drops to 0
    int active_requests; // from a request's first byte until its reply is sent
    int stopping;        // set at stop: requests that start after it get a 503
    int closing;         // set once the drain is over: nothing more goes to the scheduler
};

// The state of one HTTP request, from its headers to the end of its reply.
typedef struct request_state {
    fc_endpoint endpoint;
    fc_textbuf body;
    int body_too_large;
    int after_stop; // arrived on a kept-alive connection once the drain had begun
    double started;
    struct MHD_Connection *connection;
    fc_connection *conn;      // the server's record of the socket
    fc_inference *inference;  // while the worker runs the request's pairs, and until answered
    char unknown_query[128];  // the first query argument (no route takes any), or ""
} request_state;

fc_server_options fc_server_default_options(void) {
    fc_server_options options = {
        .host = "127.0.0.1",
        .port = 8080,
        .model_dir = NULL,
        .max_batch_tokens = 8192,
        .max_concurrent_requests = 512,
        .max_body_bytes = 2 * 1024 * 1024,
        .max_client_batch_size = 32,
        .threads = 0,
        .drain_seconds = 30.0,
        .max_connections = 4096,
        .max_connections_per_ip = 1024,
        .request_deadline = 30.0,
        .http_threads = 4,
        .log_format = FC_LOG_TEXT,
        .dtype = "float32",
    };
    return options;
}

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

// Every route with its method (GET routes answer HEAD too).
static const struct {
    const char *path;
    const char *method;
    fc_endpoint endpoint;
} routes[] = {
    {"/predict", "POST", FC_ENDPOINT_PREDICT},   {"/zero-shot", "POST", FC_ENDPOINT_ZEROSHOT},
    {"/check", "POST", FC_ENDPOINT_CHECK},       {"/rerank", "POST", FC_ENDPOINT_RERANK},
    {"/tokenize", "POST", FC_ENDPOINT_TOKENIZE}, {"/health", "GET", FC_ENDPOINT_HEALTH},
    {"/info", "GET", FC_ENDPOINT_INFO},          {"/openapi.json", "GET", FC_ENDPOINT_OPENAPI},
    {"/metrics", "GET", FC_ENDPOINT_METRICS},
};
enum { N_ROUTES = sizeof routes / sizeof routes[0] };

const char *fc_server_route(size_t i, const char **method) {
    if (i >= N_ROUTES) return NULL;
    *method = routes[i].method;
    return routes[i].path;
}

static fc_endpoint route(const char *url) {
    for (size_t i = 0; i < N_ROUTES; i++)
        if (strcmp(url, routes[i].path) == 0) return routes[i].endpoint;
    return FC_ENDPOINT_OTHER;
}

static int is_post_endpoint(fc_endpoint endpoint) {
    for (size_t i = 0; i < N_ROUTES; i++)
        if (routes[i].endpoint == endpoint) return strcmp(routes[i].method, "POST") == 0;
    return 0;
}

// Builds the reply of a request whose body is complete, or returns the inference that will.
static fc_inference *dispatch(fc_server *server, request_state *state, const char *method,
                              const char *url, fc_reply *reply) {
    if (fc_connection_over_capacity(state->conn)) {
        fc_reply_error(reply, 503, "unavailable", "the server has %d connections open "
                       "(--max-connections); retry later", server->options.max_connections);
        reply->close_connection = 1;
        return NULL;
    }
    fc_endpoint endpoint = state->endpoint;
    if (endpoint == FC_ENDPOINT_OTHER) {
        fc_reply_error(reply, 404, "not_found", "no route %s %s (routes: POST /predict, POST "
                       "/zero-shot, POST /check, POST /rerank, POST /tokenize, GET /health, "
                       "GET /info, GET /openapi.json, GET /metrics)", method, url);
        return NULL;
    }
    int is_get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
    int wants_post = is_post_endpoint(endpoint);
    if (wants_post ? strcmp(method, "POST") != 0 : !is_get) {
        fc_reply_error(reply, 405, "method_not_allowed", "%s %s is not allowed; use %s", method,
                       url, wants_post ? "POST" : "GET");
        reply->allow = wants_post ? "POST" : "GET, HEAD";
        return NULL;
    }
    if (state->after_stop) {
        // Keep-alive clients could otherwise hold the drain open forever with new requests.
        fc_reply_error(reply, 503, "unavailable", "the server is shutting down");
        reply->close_connection = 1;
        return NULL;
    }
    if (state->body_too_large) {
        fc_reply_error(reply, 413, "payload_too_large", "the body is larger than %zu bytes "
                       "(--max-body-bytes)", server->options.max_body_bytes);
        return NULL;
    }
    if (state->unknown_query[0]) {
        fc_reply_error(reply, 422, "validation", "unknown query parameter \"%s\" (%s %s takes "
                       "none)", state->unknown_query, method, url);
        return NULL;
    }
    const fc_serve_context *ctx = &server->context;
    const char *body = state->body.data ? state->body.data : "";
    size_t len = state->body.len;
    switch (endpoint) {
    case FC_ENDPOINT_PREDICT: return fc_handle_predict(ctx, body, len, reply);
    case FC_ENDPOINT_ZEROSHOT: return fc_handle_zeroshot(ctx, body, len, reply);
    case FC_ENDPOINT_CHECK: return fc_handle_check(ctx, body, len, reply);
    case FC_ENDPOINT_RERANK: return fc_handle_rerank(ctx, body, len, reply);
    case FC_ENDPOINT_TOKENIZE: fc_handle_tokenize(ctx, body, len, reply); return NULL;
    case FC_ENDPOINT_HEALTH: fc_handle_health(ctx, reply); return NULL;
    case FC_ENDPOINT_INFO: fc_handle_info(ctx, reply); return NULL;
    case FC_ENDPOINT_OPENAPI: fc_handle_openapi(ctx, reply); return NULL;
    case FC_ENDPOINT_METRICS: fc_handle_metrics(ctx, reply); return NULL;
    default: return NULL;
    }
}

static enum MHD_Result send_reply(struct MHD_Connection *connection, fc_reply *reply) {
    // libmicrohttpd frees the body with free() once sent; the reply gives up its buffer.
    size_t len = reply->body.len;
    char *data = reply->body.data ? reply->body.data : fc_calloc(1, 1);
    reply->body.data = NULL;
    reply->body.len = reply->body.cap = 0;
    struct MHD_Response *response = MHD_create_response_from_buffer(len, data, MHD_RESPMEM_MUST_FREE);
    if (!response) {
        free(data);
        return MHD_NO;
    }
    MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, reply->content_type);
    if (reply->allow) MHD_add_response_header(response, MHD_HTTP_HEADER_ALLOW, reply->allow);
    if (reply->close_connection)
        MHD_add_response_header(response, MHD_HTTP_HEADER_CONNECTION, "close");
    enum MHD_Result result = MHD_queue_response(connection, (unsigned)reply->status, response);
    MHD_destroy_response(response);
    return result;
}

// Called on the inference worker once the request's pairs are done: libmicrohttpd calls
// on_request again for the connection, which then writes the reply.
static void resume_request(void *cls) {
    request_state *state = cls;
    MHD_resume_connection(state->connection);
}

// Remembers the first query argument: no route takes any.
static enum MHD_Result note_query_argument(void *cls, enum MHD_ValueKind kind, const char *key,
                                           const char *value) {
    request_state *state = cls;
    if (!state->unknown_query[0]) {
        snprintf(state->unknown_query, sizeof state->unknown_query, "%s", key);
        size_t bad; // the name goes into a JSON message: cut it before invalid UTF-8
        if (!fc_utf8_valid(state->unknown_query, strlen(state->unknown_query), &bad))
            state->unknown_query[bad] = '\0';
        if (!state->unknown_query[0]) snprintf(state->unknown_query, 2, "?");
    }
    return MHD_NO; // one is enough
}

// The headers of a request have arrived.
static request_state *request_begin(fc_server *server, struct MHD_Connection *connection,
                                    const char *url) {
    request_state *state = fc_calloc(1, sizeof *state);
    state->endpoint = route(url);
    state->started = now_seconds();
    state->connection = connection;
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(connection, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    state->conn = info ? info->socket_context : NULL;
    MHD_get_connection_values(connection, MHD_GET_ARGUMENT_KIND, note_query_argument, state);
    pthread_mutex_lock(&server->lock);
    server->active_requests++;
    state->after_stop = server->stopping;
    pthread_mutex_unlock(&server->lock);
    return state;
}

// Hands the inference to the scheduler and suspends the connection until it is done; -1 when
// the server is past its drain (the scheduler takes nothing more).
static int request_submit(fc_server *server, request_state *state, fc_inference *inference) {
    pthread_mutex_lock(&server->lock);
    int closing = server->closing;
    if (!closing) {
        state->inference = inference;
        inference->job.on_done = resume_request;
        inference->job.cls = state;
        // Suspended before it is submitted, so that the resume cannot come first.
        MHD_suspend_connection(state->connection);
        fc_scheduler_submit(server->scheduler, &inference->job);
    }
    pthread_mutex_unlock(&server->lock);
    return closing ? -1 : 0;
}

static void inference_release(fc_server *server, fc_inference *inference) {
    fc_scheduler_leave(server->scheduler);
    inference->free(inference);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *connection, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size,
                                  void **request_cls) {
    fc_server *server = cls;
    request_state *state = *request_cls;
    if (!state) { // the headers have arrived; the body (if any) comes in the next calls
        *request_cls = request_begin(server, connection, url);
        return MHD_YES;
    }
    if (*upload_data_size > 0) {
        // Past the limit the rest of the body is read and dropped, so that memory stays bounded
        // and the client still gets its 413 on a connection in a clean state.
        if (!state->body_too_large) {
            if (state->body.len + *upload_data_size > server->options.max_body_bytes) {
                state->body_too_large = 1;
                fc_textbuf_free(&state->body);
            } else {
                fc_textbuf_append(&state->body, upload_data, *upload_data_size);
            }
        }
        *upload_data_size = 0;
        return MHD_YES;
    }
    fc_reply reply = {0};
    fc_inference *inference = state->inference;
    if (inference) { // resumed: the worker has run the pairs
        state->inference = NULL;
        inference->finish(&server->context, inference, &reply);
        inference_release(server, inference);
    } else {
        fc_connection_request_complete(server->connections, state->conn);
        inference = dispatch(server, state, method, url, &reply);
        if (inference) {
            if (request_submit(server, state, inference) == 0) return MHD_YES;
            inference_release(server, inference);
            fc_reply_error(&reply, 503, "unavailable", "the server is shutting down");
            reply.close_connection = 1;
        }
    }
    double seconds = now_seconds() - state->started;
    fc_metrics_request(server->metrics, state->endpoint, reply.status, reply.error_type, seconds);
    fc_access_log(server->options.log_format, method, url, reply.status, seconds);
    enum MHD_Result result = send_reply(connection, &reply);
    fc_reply_free(&reply);
    return result;
}

// Called once per request when its reply is sent or the connection is gone.
static void on_completed(void *cls, struct MHD_Connection *connection, void **request_cls,
                         enum MHD_RequestTerminationCode code) {
    fc_server *server = cls;
    request_state *state = *request_cls;
    if (!state) return;
    // Only when libmicrohttpd closes every connection at stop can a request end unanswered
    // with its inference (done by then: the scheduler was stopped first).
    if (state->inference) inference_release(server, state->inference);
    fc_connection_reply_done(server->connections, state->conn);
    fc_textbuf_free(&state->body);
    free(state);
    *request_cls = NULL;
    pthread_mutex_lock(&server->lock);
    if (--server->active_requests == 0) pthread_cond_broadcast(&server->idle);
    pthread_mutex_unlock(&server->lock);
}

// Keeps the server's record of every socket (connections.h).
static void on_connection(void *cls, struct MHD_Connection *connection, void **socket_context,
                          enum MHD_ConnectionNotificationCode code) {
    fc_server *server = cls;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        const union MHD_ConnectionInfo *info =
            MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CONNECTION_FD);
        *socket_context = fc_connections_opened(server->connections, info ? info->connect_fd : -1);
    } else if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
        fc_connections_closed(server->connections, *socket_context);
        *socket_context = NULL;
    }
}

// Resolves host (a numeric address or a name) and port into addr.
static int resolve(const char *host, int port, struct sockaddr_storage *addr, int *is_ipv6,
                   fc_error *err) {
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_PASSIVE};
    struct addrinfo *found = NULL;
    char service[16];
    snprintf(service, sizeof service, "%d", port);
    int rc = getaddrinfo(host, service, &hints, &found);
    if (rc != 0) return fc_fail(err, "--host %s: %s", host, gai_strerror(rc));
    memcpy(addr, found->ai_addr, found->ai_addrlen);
    *is_ipv6 = found->ai_family == AF_INET6;
    freeaddrinfo(found);
    return 0;
}

// Raises the descriptor limit (the soft one, up to the hard one) to what max_connections needs.
static int reserve_descriptors(int max_connections, fc_error *err) {
    rlim_t needed = (rlim_t)max_connections + overflow_connections(max_connections) +
                    RESERVED_DESCRIPTORS;
    struct rlimit limit;
    if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return 0;
    if (limit.rlim_cur != RLIM_INFINITY && limit.rlim_cur < needed) {
        if (limit.rlim_max != RLIM_INFINITY && limit.rlim_max < needed)
            return fc_fail(err, "--max-connections %d needs %llu file descriptors, and the "
                           "limit is %llu (ulimit -Hn); lower --max-connections or raise the "
                           "limit", max_connections, (unsigned long long)needed,
                           (unsigned long long)limit.rlim_max);
        limit.rlim_cur = needed;
        if (setrlimit(RLIMIT_NOFILE, &limit) != 0)
            return fc_fail(err, "cannot raise the file descriptor limit to %llu: %s",
                           (unsigned long long)needed, strerror(errno));
    }
    return 0;
}

int fc_server_start(fc_model *model, const fc_server_options *options, fc_server **out,
                    fc_error *err) {
    *out = NULL;
    fc_server *server = fc_calloc(1, sizeof *server);
    server->options = *options;
    server->host = fc_strdup(options->host ? options->host : "127.0.0.1");
    server->model_dir = fc_strdup(options->model_dir ? options->model_dir : "");
    server->dtype = fc_strdup(options->dtype ? options->dtype : "float32");
    server->options.host = server->host;
    server->options.model_dir = server->model_dir;
    server->options.dtype = server->dtype;
    if (server->options.http_threads < 1) server->options.http_threads = 1;
    pthread_mutex_init(&server->lock, NULL);
    pthread_cond_init(&server->idle, NULL);
    server->metrics = fc_metrics_create();
    fc_model_identity(server->model_dir, &server->model_id, &server->model_arch);

    struct sockaddr_storage addr;
    int is_ipv6 = 0;
    if (resolve(server->host, options->port, &addr, &is_ipv6, err) != 0 ||
        reserve_descriptors(options->max_connections, err) != 0 ||
        fc_connections_create(options->max_connections, options->request_deadline,
                              &server->connections, err) != 0 ||
        fc_scheduler_start(model, options->max_batch_tokens, options->max_concurrent_requests,
                           options->threads, server->metrics, &server->scheduler, err) != 0) {
        fc_server_stop(server);
        return -1;
    }
    server->context = (fc_serve_context){model, server->scheduler, server->metrics,
                                         &server->options, server->model_id,
                                         server->model_arch, server->connections};
    // epoll on a pool of threads; suspend/resume frees a thread while a request waits for
    // the worker, and brings the inter-thread channel MHD_quiesce_daemon needs at shutdown.
    unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;
    if (is_ipv6) flags |= MHD_USE_IPv6;
    // libmicrohttpd's inactivity timeout stays as a backstop for a client that stops reading
    // its reply; the deadline of a request is the sweep's (connections.h).
    unsigned inactivity = (unsigned)ceil(options->request_deadline) + 1;
    server->daemon = MHD_start_daemon(
        flags, (uint16_t)options->port, NULL, NULL, on_request, server,
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
        MHD_OPTION_THREAD_POOL_SIZE, (unsigned)server->options.http_threads,
        MHD_OPTION_CONNECTION_LIMIT,
        (unsigned)options->max_connections + overflow_connections(options->max_connections),
        MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)options->max_connections_per_ip,
        MHD_OPTION_CONNECTION_TIMEOUT, inactivity,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, server,
        MHD_OPTION_NOTIFY_CONNECTION, on_connection, server,
        MHD_OPTION_END);
    if (!server->daemon) {
        fc_fail(err, "cannot listen on %s port %d: %s", server->host, options->port,
                errno ? strerror(errno) : "libmicrohttpd refused to start");
        fc_server_stop(server);
        return -1;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(server->daemon, MHD_DAEMON_INFO_BIND_PORT);
    server->port = info ? info->port : options->port;
    *out = server;
    return 0;
}

int fc_server_port(const fc_server *server) {
    return server->port;
}

// Waits until no request is in flight, or until the deadline.
static void wait_idle(fc_server *server, double seconds) {
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += (time_t)seconds;
    pthread_mutex_lock(&server->lock);
    while (server->active_requests > 0)
        if (pthread_cond_timedwait(&server->idle, &server->lock, &deadline) == ETIMEDOUT) break;
    pthread_mutex_unlock(&server->lock);
}

void fc_server_stop(fc_server *server) {
    if (!server) return;
    if (server->daemon) {
        pthread_mutex_lock(&server->lock);
        server->stopping = 1;
        pthread_mutex_unlock(&server->lock);
        MHD_socket listener = MHD_quiesce_daemon(server->daemon); // no new connections
        if (listener != MHD_INVALID_SOCKET) close(listener);
        wait_idle(server, server->options.drain_seconds);
        // Past the drain: nothing more is submitted, what is queued runs and its connections
        // resume (libmicrohttpd must not be stopped with a connection suspended).
        pthread_mutex_lock(&server->lock);
        server->closing = 1;
        pthread_mutex_unlock(&server->lock);
        fc_scheduler_stop(server->scheduler);
        MHD_stop_daemon(server->daemon); // closes idle keep-alive connections, joins threads
    }
    fc_scheduler_free(server->scheduler);
    fc_connections_free(server->connections);
    fc_metrics_free(server->metrics);
    pthread_cond_destroy(&server->idle);
    pthread_mutex_destroy(&server->lock);
    free(server->host);
    free(server->model_dir);
    free(server->dtype);
    free(server->model_id);
    free(server->model_arch);
    free(server);
}
