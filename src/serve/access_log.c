#include "serve/access_log.h"

#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "tasks/result_json.h"
#include "tokenizer/textbuf.h"
#include "tokenizer/utf8.h"

// A route longer than this is cut: a log line stays short whatever the client sends.
enum { MAX_ROUTE_BYTES = 256 };

int fc_log_format_from_name(const char *name) {
    if (strcmp(name, "text") == 0) return FC_LOG_TEXT;
    if (strcmp(name, "json") == 0) return FC_LOG_JSON;
    if (strcmp(name, "none") == 0) return FC_LOG_NONE;
    return -1;
}

// UTC with milliseconds, ISO 8601.
static void format_time(char *out, size_t size) {
    struct timeval tv;
    gettimeofday(&tv, NULL);
    struct tm tm;
    gmtime_r(&tv.tv_sec, &tm);
    size_t len = strftime(out, size, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out + len, size - len, ".%03dZ", (int)(tv.tv_usec / 1000));
}

void fc_access_log(fc_log_format format, const char *method, const char *route, int status,
                   double seconds) {
    if (format == FC_LOG_NONE) return;
    char when[40];
    format_time(when, sizeof when);
    size_t route_len = strnlen(route, MAX_ROUTE_BYTES);
    fc_textbuf line = {0};
    if (format == FC_LOG_JSON) {
        size_t bad;
        if (!fc_utf8_valid(route, route_len, &bad)) route_len = bad;
        fc_jsonbuf_printf(&line, "{\"time\":\"%s\",\"method\":", when);
        fc_jsonbuf_string(&line, method, strnlen(method, 32));
        fc_textbuf_append(&line, ",\"route\":", 9);
        fc_jsonbuf_string(&line, route, route_len);
        fc_jsonbuf_printf(&line, ",\"status\":%d,\"ms\":%.2f}\n", status, seconds * 1e3);
    } else {
        char safe[MAX_ROUTE_BYTES + 1];
        for (size_t i = 0; i < route_len; i++)
            safe[i] = route[i] > ' ' && route[i] < 127 ? route[i] : '?';
        safe[route_len] = '\0';
        fc_jsonbuf_printf(&line, "%s %.32s %s %d %.2f ms\n", when, method, safe, status,
                          seconds * 1e3);
    }
    ssize_t written = write(STDERR_FILENO, line.data, line.len);
    (void)written; // a log line that cannot be written is dropped, the request is not
    fc_textbuf_free(&line);
}
