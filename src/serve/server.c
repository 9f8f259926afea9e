// The HTTP glue on libmicrohttpd: routing, body collection under max_body_bytes, replies,
// request accounting for the drain at stop. Everything about the endpoints' content lives in
// handlers; everything about batching in the scheduler.
#include "serve/server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "serve/handlers.h"
#include "serve/metrics.h"
#include "serve/reply.h"
#include "serve/scheduler.h"
#include "util/alloc.h"
#include "util/error.h"

// Connections beyond the admitted requests: keep-alive connections that are idle, /health and
// /metrics probes, requests that get a quick 429. Past it the OS backlog holds them.
enum { CONNECTION_HEADROOM = 256 };
// Idle keep-alive connections are closed after this many seconds.
enum { CONNECTION_TIMEOUT_SECONDS = 60 };

struct fc_server {
    struct MHD_Daemon *daemon;
    fc_server_options options;
    char *host;
    char *model_dir;
    int port;
    fc_metrics *metrics;
    fc_scheduler *scheduler;
    fc_serve_context context;

    pthread_mutex_t lock;
    pthread_cond_t idle; // signalled when active_requests drops to 0
    int active_requests; // from a request's first byte until its reply is sent
    int stopping;        // set at stop: requests that start after it get a 503
};

// The state of one HTTP request, from its headers to the end of its reply.
typedef struct request_state {
    fc_endpoint endpoint;
    fc_textbuf body;
    int body_too_large;
    int after_stop; // arrived on a kept-alive connection once the drain had begun
    double started;
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
    };
    return options;
}

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static fc_endpoint route(const char *url) {
    static const struct {
        const char *path;
        fc_endpoint endpoint;
    } routes[] = {
        {"/predict", FC_ENDPOINT_PREDICT}, {"/zero-shot", FC_ENDPOINT_ZEROSHOT},
        {"/check", FC_ENDPOINT_CHECK},     {"/health", FC_ENDPOINT_HEALTH},
        {"/info", FC_ENDPOINT_INFO},       {"/metrics", FC_ENDPOINT_METRICS},
    };
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++)
        if (strcmp(url, routes[i].path) == 0) return routes[i].endpoint;
    return FC_ENDPOINT_OTHER;
}

static int is_post_endpoint(fc_endpoint endpoint) {
    return endpoint == FC_ENDPOINT_PREDICT || endpoint == FC_ENDPOINT_ZEROSHOT ||
           endpoint == FC_ENDPOINT_CHECK;
}

// Builds the reply of a request whose body is complete.
static void dispatch(fc_server *server, request_state *state, const char *method, const char *url,
                     fc_reply *reply) {
    fc_endpoint endpoint = state->endpoint;
    if (endpoint == FC_ENDPOINT_OTHER) {
        fc_reply_error(reply, 404, "not_found", "no route %s %s (routes: POST /predict, POST "
                       "/zero-shot, POST /check, GET /health, GET /info, GET /metrics)", method, url);
        return;
    }
    int is_get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
    int wants_post = is_post_endpoint(endpoint);
    if (wants_post ? strcmp(method, "POST") != 0 : !is_get) {
        fc_reply_error(reply, 405, "method_not_allowed", "%s %s is not allowed; use %s", method,
                       url, wants_post ? "POST" : "GET");
        reply->allow = wants_post ? "POST" : "GET, HEAD";
        return;
    }
    if (state->after_stop) {
        // Keep-alive clients could otherwise hold the drain open forever with new requests.
        fc_reply_error(reply, 503, "unavailable", "the server is shutting down");
        reply->close_connection = 1;
        return;
    }
    if (state->body_too_large) {
        fc_reply_error(reply, 413, "payload_too_large", "the body is larger than %zu bytes "
                       "(--max-body-bytes)", server->options.max_body_bytes);
        return;
    }
    const fc_serve_context *ctx = &server->context;
    const char *body = state->body.data ? state->body.data : "";
    switch (endpoint) {
    case FC_ENDPOINT_PREDICT: fc_handle_predict(ctx, body, state->body.len, reply); break;
    case FC_ENDPOINT_ZEROSHOT: fc_handle_zeroshot(ctx, body, state->body.len, reply); break;
    case FC_ENDPOINT_CHECK: fc_handle_check(ctx, body, state->body.len, reply); break;
    case FC_ENDPOINT_HEALTH: fc_handle_health(ctx, reply); break;
    case FC_ENDPOINT_INFO: fc_handle_info(ctx, reply); break;
    case FC_ENDPOINT_METRICS: fc_handle_metrics(ctx, reply); break;
    default: break;
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

static enum MHD_Result on_request(void *cls, struct MHD_Connection *connection, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size,
                                  void **request_cls) {
    fc_server *server = cls;
    request_state *state = *request_cls;
    if (!state) { // the headers have arrived; the body (if any) comes in the next calls
        state = fc_calloc(1, sizeof *state);
        state->endpoint = route(url);
        state->started = now_seconds();
        *request_cls = state;
        pthread_mutex_lock(&server->lock);
        server->active_requests++;
        state->after_stop = server->stopping;
        pthread_mutex_unlock(&server->lock);
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
    dispatch(server, state, method, url, &reply);
    fc_metrics_request(server->metrics, state->endpoint, reply.status, reply.error_type,
                       now_seconds() - state->started);
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
    fc_textbuf_free(&state->body);
    free(state);
    *request_cls = NULL;
    pthread_mutex_lock(&server->lock);
    if (--server->active_requests == 0) pthread_cond_broadcast(&server->idle);
    pthread_mutex_unlock(&server->lock);
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

int fc_server_start(fc_model *model, const fc_server_options *options, fc_server **out,
                    fc_error *err) {
    *out = NULL;
    fc_server *server = fc_calloc(1, sizeof *server);
    server->options = *options;
    server->host = fc_strdup(options->host ? options->host : "127.0.0.1");
    server->model_dir = fc_strdup(options->model_dir ? options->model_dir : "");
    server->options.host = server->host;
    server->options.model_dir = server->model_dir;
    pthread_mutex_init(&server->lock, NULL);
    pthread_cond_init(&server->idle, NULL);
    server->metrics = fc_metrics_create();

    struct sockaddr_storage addr;
    int is_ipv6 = 0;
    if (resolve(server->host, options->port, &addr, &is_ipv6, err) != 0 ||
        fc_scheduler_start(model, options->max_batch_tokens, options->max_concurrent_requests,
                           options->threads, server->metrics, &server->scheduler, err) != 0) {
        fc_server_stop(server);
        return -1;
    }
    server->context = (fc_serve_context){model, server->scheduler, server->metrics,
                                         &server->options};
    // A thread per connection lets a request block while the worker runs its pairs; ITC is
    // what MHD_quiesce_daemon needs to stop accepting at shutdown.
    unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
                     MHD_USE_POLL | MHD_USE_ITC | MHD_USE_ERROR_LOG;
    if (is_ipv6) flags |= MHD_USE_IPv6;
    unsigned connection_limit = (unsigned)options->max_concurrent_requests + CONNECTION_HEADROOM;
    server->daemon = MHD_start_daemon(
        flags, (uint16_t)options->port, NULL, NULL, on_request, server,
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
        MHD_OPTION_CONNECTION_LIMIT, connection_limit,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)CONNECTION_TIMEOUT_SECONDS,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, server,
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
        MHD_stop_daemon(server->daemon); // closes idle keep-alive connections, joins threads
    }
    fc_scheduler_stop(server->scheduler);
    fc_metrics_free(server->metrics);
    pthread_cond_destroy(&server->idle);
    pthread_mutex_destroy(&server->lock);
    free(server->host);
    free(server->model_dir);
    free(server);
}
