// The serve tests' client side (serve_client.c): the server process and HTTP to it.
#ifndef FC_TESTS_SERVE_CLIENT_H
#define FC_TESTS_SERVE_CLIENT_H

#include <stddef.h>
#include <sys/types.h>

#include <cjson/cJSON.h>

typedef struct server {
    pid_t pid;
    int port;
    int stderr_fd;
} server;

const char *finecat_bin(void);
double now_seconds(void);

// Starts `finecat serve --model DIR --port 0 ARGS...` and waits (at most 60 s) for its
// "listening on" line; --quiet is added unless ARGS name a --log-format.
int server_start(server *s, const char *model_dir, const char *const *args);
// Sends sig and waits (at most timeout seconds, then SIGKILL) for the exit status; -1 when
// the process did not exit on its own.
int server_stop(server *s, int sig, double timeout);

typedef struct http_result {
    int status; // 0 when no HTTP answer came (connection refused, timeout)
    char *body;
} http_result;

void http_result_free(http_result *r);
// One request through curl; body may be NULL. Bounded by curl's 60 s limit.
http_result http(const server *s, const char *method, const char *path, const char *body,
                 size_t body_len);
http_result post(const server *s, const char *path, const char *body);

// Two JSON values are equal: same structure and strings, numbers within tol.
int json_close(const cJSON *a, const cJSON *b, double tol);
// An error reply: the status, a JSON body with a message and the error type (one check).
void check_error(const http_result *r, int status, const char *error_type, const char *what);
void expect_error(const server *s, const char *method, const char *path, const char *body,
                  int status, const char *error_type);

// A raw connection to 127.0.0.1:port with a 10 s receive timeout, or -1.
int connect_loopback(int port);
// Sends GET /health and reads one reply (headers and its Content-Length body) into out.
int raw_health(int fd, char *out, size_t size);

#endif
