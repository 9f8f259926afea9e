// The serve tests' client side: `finecat serve` started as a user runs it, and HTTP spoken to
// it through curl or raw sockets. Every wait is bounded.
#include "serve_client.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "util/file.h"

const char *finecat_bin(void) {
    const char *env = getenv("FINECAT_BIN");
    return env ? env : "build/finecat";
}

double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

// ---------------------------------------------------------------------------------------------
// The server process

// Starts `finecat serve --model DIR --port 0 ARGS...` and waits (at most 60 s) for its
// "listening on" line, which names the port. Unless ARGS name a --log-format, the server runs
// with --quiet: nothing reads its standard error after that line, and a full pipe would
// block it.
int server_start(server *s, const char *model_dir, const char *const *args) {
    memset(s, 0, sizeof *s);
    int fds[2];
    if (pipe(fds) != 0) return -1;
    const char *argv[40] = {finecat_bin(), "serve", "--model", model_dir, "--port", "0"};
    int argc = 6, logs = 0;
    for (size_t i = 0; args && args[i] && argc < 38; i++) {
        logs |= strcmp(args[i], "--log-format") == 0;
        argv[argc++] = args[i];
    }
    if (!logs) argv[argc++] = "--quiet";
    argv[argc] = NULL;
    pid_t pid = fork();
    if (pid < 0) return -1;
    if (pid == 0) {
        dup2(fds[1], 2);
        int devnull = open("/dev/null", O_WRONLY);
        dup2(devnull, 1);
        close(fds[0]);
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    close(fds[1]);
    s->pid = pid;
    s->stderr_fd = fds[0];
    char line[4096];
    size_t len = 0;
    double deadline = now_seconds() + 60.0;
    while (now_seconds() < deadline && len + 1 < sizeof line) {
        struct pollfd p = {.fd = s->stderr_fd, .events = POLLIN};
        if (poll(&p, 1, 200) <= 0) continue;
        ssize_t n = read(s->stderr_fd, line + len, 1);
        if (n <= 0) break; // the server died
        len += (size_t)n;
        line[len] = '\0';
        const char *at = strstr(line, "listening on http://127.0.0.1:");
        if (at && line[len - 1] == '\n') {
            s->port = atoi(at + strlen("listening on http://127.0.0.1:"));
            return s->port > 0 ? 0 : -1;
        }
        if (line[len - 1] == '\n') len = 0;
    }
    fprintf(stderr, "  server did not start: %s\n", line);
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    close(s->stderr_fd);
    return -1;
}

// Sends sig and waits (at most timeout seconds, then SIGKILL) for the exit status; -1 when
// the process did not exit on its own.
int server_stop(server *s, int sig, double timeout) {
    kill(s->pid, sig);
    double deadline = now_seconds() + timeout;
    int status = 0;
    pid_t done = 0;
    while ((done = waitpid(s->pid, &status, WNOHANG)) == 0 && now_seconds() < deadline)
        usleep(20000);
    if (done == 0) {
        kill(s->pid, SIGKILL);
        waitpid(s->pid, &status, 0);
        close(s->stderr_fd);
        return -1;
    }
    char rest[4096];
    ssize_t n;
    fcntl(s->stderr_fd, F_SETFL, O_NONBLOCK);
    while ((n = read(s->stderr_fd, rest, sizeof rest - 1)) > 0) {
        rest[n] = '\0';
        if (strstr(rest, "ERROR") || strstr(rest, "runtime error")) fprintf(stderr, "%s", rest);
    }
    close(s->stderr_fd);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// ---------------------------------------------------------------------------------------------
// HTTP through curl

void http_result_free(http_result *r) {
    free(r->body);
    r->body = NULL;
}

// One request; body may be NULL (no body). Bounded by curl's 60 s limit.
http_result http(const server *s, const char *method, const char *path, const char *body,
                        size_t body_len) {
    http_result result = {0, NULL};
    char in_path[] = "/tmp/finecat_serve_in_XXXXXX", out_path[] = "/tmp/finecat_serve_out_XXXXXX";
    int in_fd = mkstemp(in_path), out_fd = mkstemp(out_path);
    if (in_fd < 0 || out_fd < 0) return result;
    if (body && body_len && write(in_fd, body, body_len) != (ssize_t)body_len) body = NULL;
    close(in_fd);
    close(out_fd);
    char command[1024];
    snprintf(command, sizeof command,
             "curl -s -m 60 -o %s -w '%%{http_code}' -X %s %s%s%s 'http://127.0.0.1:%d%s'",
             out_path, method, body ? "-H 'Content-Type: application/json' --data-binary @" : "",
             body ? in_path : "", body ? "" : "", s->port, path);
    FILE *p = popen(command, "r");
    char code[16] = "";
    if (p) {
        if (!fgets(code, sizeof code, p)) code[0] = '\0';
        pclose(p);
    }
    result.status = atoi(code);
    fc_error err;
    if (fc_read_file(out_path, &result.body, NULL, &err) != 0) result.body = strdup("");
    unlink(in_path);
    unlink(out_path);
    return result;
}

http_result post(const server *s, const char *path, const char *body) {
    return http(s, "POST", path, body, strlen(body));
}

// Two JSON values are equal: same structure and strings, numbers within tol.
int json_close(const cJSON *a, const cJSON *b, double tol) {
    if (!a || !b) return a == b;
    if (cJSON_IsNumber(a) && cJSON_IsNumber(b)) return fabs(a->valuedouble - b->valuedouble) <= tol;
    if ((a->type & 0xFF) != (b->type & 0xFF)) return 0;
    if (cJSON_IsString(a)) return strcmp(a->valuestring, b->valuestring) == 0;
    if (cJSON_IsArray(a) || cJSON_IsObject(a)) {
        const cJSON *x = a->child, *y = b->child;
        for (; x && y; x = x->next, y = y->next) {
            if (cJSON_IsObject(a) && strcmp(x->string, y->string) != 0) return 0;
            if (!json_close(x, y, tol)) return 0;
        }
        return !x && !y;
    }
    return 1; // true, false, null
}

// An error reply: the status, a JSON body with a message and the error type.
void check_error(const http_result *r, int status, const char *error_type, const char *what) {
    cJSON *json = cJSON_Parse(r->body ? r->body : "");
    const cJSON *message = cJSON_GetObjectItem(json, "error");
    const cJSON *type = cJSON_GetObjectItem(json, "error_type");
    int ok = r->status == status && cJSON_IsString(message) && strlen(message->valuestring) > 0 &&
             cJSON_IsString(type) && strcmp(type->valuestring, error_type) == 0;
    if (!ok) fprintf(stderr, "  %s: got %d %s, want %d %s\n", what, r->status, r->body, status,
                     error_type);
    CHECK(ok);
    cJSON_Delete(json);
}

void expect_error(const server *s, const char *method, const char *path, const char *body,
                         int status, const char *error_type) {
    http_result r = http(s, method, path, body, body ? strlen(body) : 0);
    check_error(&r, status, error_type, body ? body : path);
    http_result_free(&r);
}

// A raw keep-alive connection, to send a request on a connection opened before the drain.
int connect_loopback(int port) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    struct timeval timeout = {.tv_sec = 10};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    if (connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

// Sends GET /health and reads one reply (headers and its Content-Length body) into out.
int raw_health(int fd, char *out, size_t size) {
    const char *request = "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
    if (send(fd, request, strlen(request), MSG_NOSIGNAL) != (ssize_t)strlen(request)) return -1;
    size_t len = 0;
    while (len + 1 < size) {
        ssize_t n = recv(fd, out + len, size - len - 1, 0);
        if (n <= 0) break;
        len += (size_t)n;
        out[len] = '\0';
        const char *end = strstr(out, "\r\n\r\n");
        const char *length = strcasestr(out, "Content-Length:");
        if (end && length && (size_t)(end + 4 - out) + (size_t)atol(length + 15) <= len) break;
    }
    out[len] = '\0';
    return (int)len;
}

