#include "hub/hub_http.h"

#include <ctype.h>
#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/alloc.h"
#include "util/error.h"

// huggingface_hub waits 10 s for metadata (HF_HUB_ETAG_TIMEOUT) and 10 s for a stalled
// download (HF_HUB_DOWNLOAD_TIMEOUT); a transfer slower than 1 byte/s for 30 s is given up.
enum { CONNECT_TIMEOUT_S = 10, METADATA_TIMEOUT_S = 10, STALL_TIME_S = 30, MAX_TRIES = 5 };

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_code;

static void curl_init(void) {
    curl_init_code = curl_global_init(CURL_GLOBAL_DEFAULT);
}

void fc_hub_reply_free(fc_hub_reply *r) {
    free(r->location);
    free(r->repo_commit);
    free(r->etag);
    free(r->error_code);
    free(r->error_message);
    memset(r, 0, sizeof *r);
    r->size = r->linked_size = r->content_length = -1;
}

// The file's size as huggingface_hub takes it: X-Linked-Size, else the Content-Length of a
// response that is no redirect.
static void reply_settle_size(fc_hub_reply *r) {
    int redirect = r->status >= 300 && r->status < 400;
    r->size = r->linked_size >= 0 ? r->linked_size : redirect ? -1 : r->content_length;
}

static void reply_reset(fc_hub_reply *r) {
    fc_hub_reply_free(r);
}

static void set_string(char **field, const char *value, size_t len) {
    free(*field);
    *field = fc_strndup(value, len);
}

// One header line "Name: value\r\n" into the reply; a new status line starts a new response
// (after a followed redirect), whose headers replace the old ones.
static size_t on_header(char *line, size_t size, size_t count, void *user) {
    fc_hub_reply *r = user;
    size_t len = size * count;
    if (len >= 5 && strncmp(line, "HTTP/", 5) == 0) {
        reply_reset(r);
        return len;
    }
    const char *colon = memchr(line, ':', len);
    if (!colon) return len;
    size_t name_len = (size_t)(colon - line);
    const char *value = colon + 1;
    size_t value_len = len - name_len - 1;
    while (value_len > 0 && (*value == ' ' || *value == '\t')) value++, value_len--;
    while (value_len > 0 && isspace((unsigned char)value[value_len - 1])) value_len--;
#define IS(name) (name_len == strlen(name) && strncasecmp(line, name, name_len) == 0)
    if (IS("Location")) {
        set_string(&r->location, value, value_len);
    } else if (IS("X-Repo-Commit")) {
        set_string(&r->repo_commit, value, value_len);
    } else if (IS("X-Linked-Etag") || (IS("ETag") && !r->etag)) {
        if (value_len >= 2 && strncmp(value, "W/", 2) == 0) value += 2, value_len -= 2;
        while (value_len > 0 && *value == '"') value++, value_len--;
        while (value_len > 0 && value[value_len - 1] == '"') value_len--;
        set_string(&r->etag, value, value_len);
    } else if (IS("X-Linked-Size")) {
        r->linked_size = strtoll(value, NULL, 10);
    } else if (IS("Content-Length")) {
        r->content_length = strtoll(value, NULL, 10);
    } else if (IS("X-Error-Code")) {
        set_string(&r->error_code, value, value_len);
    } else if (IS("X-Error-Message")) {
        set_string(&r->error_message, value, value_len);
    }
#undef IS
    return len;
}

typedef struct request {
    CURL *curl;
    struct curl_slist *headers;
    char error[CURL_ERROR_SIZE];
} request;

static int request_open(request *q, const fc_hub_settings *s, const char *url, fc_hub_reply *reply,
                        fc_error *err) {
    memset(q, 0, sizeof *q);
    pthread_once(&curl_once, curl_init);
    if (curl_init_code != CURLE_OK)
        return fc_fail(err, "libcurl could not start: %s", curl_easy_strerror(curl_init_code));
    q->curl = curl_easy_init();
    if (!q->curl) return fc_fail(err, "libcurl could not start a request");
    memset(reply, 0, sizeof *reply);
    reply->size = reply->linked_size = reply->content_length = -1;
    // The token goes to the hub only, not to a CDN on another host that a Location names.
    size_t endpoint_len = strlen(s->endpoint);
    if (s->token && strncmp(url, s->endpoint, endpoint_len) == 0 &&
        (url[endpoint_len] == '/' || url[endpoint_len] == '\0')) {
        size_t n = strlen(s->token) + 32;
        char *auth = fc_malloc(n);
        snprintf(auth, n, "Authorization: Bearer %s", s->token);
        q->headers = curl_slist_append(q->headers, auth);
        free(auth);
    }
    // No compression: the sizes must be the file's own (as huggingface_hub asks).
    q->headers = curl_slist_append(q->headers, "Accept-Encoding: identity");
    curl_easy_setopt(q->curl, CURLOPT_URL, url);
    curl_easy_setopt(q->curl, CURLOPT_HTTPHEADER, q->headers);
    curl_easy_setopt(q->curl, CURLOPT_USERAGENT, "finecat/" FINECAT_VERSION);
    curl_easy_setopt(q->curl, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(q->curl, CURLOPT_HEADERDATA, reply);
    curl_easy_setopt(q->curl, CURLOPT_ERRORBUFFER, q->error);
    curl_easy_setopt(q->curl, CURLOPT_CONNECTTIMEOUT, (long)CONNECT_TIMEOUT_S);
    curl_easy_setopt(q->curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(q->curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(q->curl, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    return 0;
}

static void request_close(request *q) {
    curl_slist_free_all(q->headers);
    if (q->curl) curl_easy_cleanup(q->curl);
}

static int network_error(const request *q, CURLcode code, const char *url, fc_error *err) {
    return fc_fail(err, "%s: network error: %s", url, q->error[0] ? q->error : curl_easy_strerror(code));
}

// The origin of an absolute URL: scheme, lower-case host and port (the scheme's default when
// none is written), as "http://host:port" in out.
static void url_origin(const char *url, char *out, size_t size) {
    const char *scheme_end = strstr(url, "://");
    if (!scheme_end) {
        snprintf(out, size, "?");
        return;
    }
    size_t scheme_len = (size_t)(scheme_end - url);
    const char *host = scheme_end + 3;
    size_t host_len = strcspn(host, "/?#");
    const char *at = memchr(host, '@', host_len); // user:password@ is no part of the origin
    if (at) {
        host_len -= (size_t)(at + 1 - host);
        host = at + 1;
    }
    const char *colon = memchr(host, ':', host_len);
    size_t name_len = colon ? (size_t)(colon - host) : host_len;
    long port = colon ? strtol(colon + 1, NULL, 10) : strncasecmp(url, "https", scheme_len) == 0 ? 443 : 80;
    int n = snprintf(out, size, "%.*s://%.*s:%ld", (int)scheme_len, url, (int)name_len, host, port);
    for (int k = 0; k < n && (size_t)k < size; k++) out[k] = (char)tolower((unsigned char)out[k]);
}

// huggingface_hub's _is_same_or_hub_host: a redirect that stays on the same origin or goes to
// a hub origin is followed (the file's metadata is further on); one to another host (a CDN,
// a storage bucket with a signed URL) is not: the metadata is on the redirect itself.
static int stays_on_hub(const fc_hub_settings *s, const char *from, const char *to) {
    char target[300], other[300];
    url_origin(to, target, sizeof target);
    const char *hubs[] = {from, s->endpoint, "https://huggingface.co", "https://hub-ci.huggingface.co",
                          "https://hf.co"};
    for (size_t i = 0; i < sizeof hubs / sizeof hubs[0]; i++) {
        url_origin(hubs[i], other, sizeof other);
        if (strcmp(target, other) == 0) return 1;
    }
    return 0;
}

int fc_hub_http_head(const fc_hub_settings *s, const char *url, fc_hub_reply *reply, fc_error *err) {
    char *current = fc_strdup(url);
    int rc = -1, failed = 0;
    for (int hop = 0; hop < 10; hop++) {
        request q;
        if (request_open(&q, s, current, reply, err) != 0) {
            failed = 1;
            break;
        }
        curl_easy_setopt(q.curl, CURLOPT_NOBODY, 1L);
        curl_easy_setopt(q.curl, CURLOPT_TIMEOUT, (long)METADATA_TIMEOUT_S);
        CURLcode code = curl_easy_perform(q.curl);
        if (code != CURLE_OK) {
            network_error(&q, code, current, err);
            request_close(&q);
            failed = 1;
            break;
        }
        curl_easy_getinfo(q.curl, CURLINFO_RESPONSE_CODE, &reply->status);
        request_close(&q);
        reply_settle_size(reply);
        if (!(reply->status >= 300 && reply->status < 400 && reply->location)) {
            rc = 0;
            break;
        }
        char *next;
        if (reply->location[0] == '/') { // relative: the same origin, another path
            char origin[300];
            const char *scheme_end = strstr(current, "://");
            const char *path_start = scheme_end ? strchr(scheme_end + 3, '/') : NULL;
            size_t origin_len = path_start ? (size_t)(path_start - current) : strlen(current);
            snprintf(origin, sizeof origin, "%.*s", (int)origin_len, current);
            size_t n = strlen(origin) + strlen(reply->location) + 1;
            next = fc_malloc(n);
            snprintf(next, n, "%s%s", origin, reply->location);
        } else {
            next = fc_strdup(reply->location);
        }
        if (!stays_on_hub(s, current, next)) {
            // The reply keeps the absolute Location, where the content is to be fetched.
            free(reply->location);
            reply->location = next;
            rc = 0;
            break;
        }
        free(current);
        current = next;
        fc_hub_reply_free(reply);
    }
    if (rc != 0 && !failed) fc_fail(err, "%s: more than 10 redirects", url);
    free(current);
    return rc;
}

typedef struct text_sink {
    char *data;
    size_t len, cap;
} text_sink;

// The hub's JSON answers are small; a listing past 64 MiB is no answer to trust.
enum { MAX_TEXT = 64 << 20 };

static size_t on_text(char *bytes, size_t size, size_t count, void *user) {
    text_sink *sink = user;
    size_t n = size * count;
    if (sink->len + n + 1 > MAX_TEXT) return 0; // aborts the transfer
    if (sink->len + n + 1 > sink->cap) {
        sink->cap = (sink->len + n + 1) * 2;
        sink->data = fc_realloc(sink->data, sink->cap);
    }
    memcpy(sink->data + sink->len, bytes, n);
    sink->len += n;
    sink->data[sink->len] = '\0';
    return n;
}

int fc_hub_http_get_text(const fc_hub_settings *s, const char *url, char **body, fc_hub_reply *reply,
                         fc_error *err) {
    *body = NULL;
    request q;
    if (request_open(&q, s, url, reply, err) != 0) return -1;
    text_sink sink = {.data = fc_malloc(1), .len = 0, .cap = 1};
    sink.data[0] = '\0';
    curl_easy_setopt(q.curl, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(q.curl, CURLOPT_MAXREDIRS, 10L);
    curl_easy_setopt(q.curl, CURLOPT_TIMEOUT, (long)(3 * METADATA_TIMEOUT_S));
    curl_easy_setopt(q.curl, CURLOPT_WRITEFUNCTION, on_text);
    curl_easy_setopt(q.curl, CURLOPT_WRITEDATA, &sink);
    CURLcode code = curl_easy_perform(q.curl);
    if (code != CURLE_OK) {
        network_error(&q, code, url, err);
        request_close(&q);
        free(sink.data);
        return -1;
    }
    curl_easy_getinfo(q.curl, CURLINFO_RESPONSE_CODE, &reply->status);
    request_close(&q);
    reply_settle_size(reply);
    *body = sink.data;
    return 0;
}

typedef struct file_sink {
    FILE *file;
    long long written; // bytes in the file
    long status;       // of the response whose body this is; 0 until its first byte
    CURL *curl;
    int restart;       // a Range was asked for and 200 came: start the file over
    int write_failed;
    fc_hub_progress *progress;
} file_sink;

static size_t on_file_data(char *bytes, size_t size, size_t count, void *user) {
    file_sink *sink = user;
    size_t n = size * count;
    if (sink->status == 0) {
        curl_easy_getinfo(sink->curl, CURLINFO_RESPONSE_CODE, &sink->status);
        if (sink->status == 200 && sink->restart) {
            // The server ignored the Range: what is on disk would be written twice.
            if (fflush(sink->file) != 0 || ftruncate(fileno(sink->file), 0) != 0 ||
                fseek(sink->file, 0, SEEK_SET) != 0) {
                sink->write_failed = 1;
                return 0;
            }
            sink->written = 0;
        }
    }
    // The body of an error answer is not the file.
    if (sink->status != 200 && sink->status != 206) return n;
    if (fwrite(bytes, 1, n, sink->file) != n) {
        sink->write_failed = 1;
        return 0;
    }
    sink->written += (long long)n;
    if (sink->progress) fc_hub_progress_update(sink->progress, sink->written);
    return n;
}

// Errors after which asking again for the rest can succeed: the connection broke or stalled.
static int is_transient(CURLcode code) {
    return code == CURLE_PARTIAL_FILE || code == CURLE_RECV_ERROR || code == CURLE_SEND_ERROR ||
           code == CURLE_OPERATION_TIMEDOUT || code == CURLE_GOT_NOTHING || code == CURLE_COULDNT_CONNECT ||
           code == CURLE_HTTP2 || code == CURLE_HTTP2_STREAM;
}

int fc_hub_http_download(const fc_hub_settings *s, const char *url, const char *path, long long expected_size,
                         fc_hub_progress *progress, long *status, fc_error *err) {
    *status = 0;
    FILE *f = fopen(path, "ab");
    if (!f) return fc_fail(err, "%s: cannot open for writing: %s", path, strerror(errno));
    struct stat st;
    long long have = fstat(fileno(f), &st) == 0 ? (long long)st.st_size : 0;
    if (expected_size >= 0 && have > expected_size) {
        // More than the file holds: not a prefix of it. Start over.
        if (ftruncate(fileno(f), 0) != 0) {
            fclose(f);
            return fc_fail(err, "%s: cannot truncate: %s", path, strerror(errno));
        }
        have = 0;
    }
    int rc = -1, tries_without_progress = 0;
    while (1) {
        if (expected_size >= 0 && have == expected_size) {
            rc = 0;
            break;
        }
        fc_hub_reply reply;
        request q;
        if (request_open(&q, s, url, &reply, err) != 0) break;
        file_sink sink = {.file = f, .written = have, .curl = q.curl, .restart = have > 0, .progress = progress};
        char range[64];
        if (have > 0) {
            snprintf(range, sizeof range, "%lld-", have);
            curl_easy_setopt(q.curl, CURLOPT_RANGE, range);
        }
        curl_easy_setopt(q.curl, CURLOPT_FOLLOWLOCATION, 1L);
        curl_easy_setopt(q.curl, CURLOPT_MAXREDIRS, 10L);
        curl_easy_setopt(q.curl, CURLOPT_WRITEFUNCTION, on_file_data);
        curl_easy_setopt(q.curl, CURLOPT_WRITEDATA, &sink);
        curl_easy_setopt(q.curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
        curl_easy_setopt(q.curl, CURLOPT_LOW_SPEED_TIME, (long)STALL_TIME_S);
        CURLcode code = curl_easy_perform(q.curl);
        curl_easy_getinfo(q.curl, CURLINFO_RESPONSE_CODE, status);
        fc_hub_reply_free(&reply); // its headers are not needed: HEAD gave the metadata
        long long before = have;
        have = sink.written;
        int flushed = fflush(f) == 0;
        if (sink.write_failed || !flushed) {
            fc_fail(err, "%s: write error: %s", path, strerror(errno));
        } else if (code == CURLE_OK && *status == 416 && expected_size < 0) {
            fc_fail(err, "%s: the server refused the range %lld- of a file of unknown size", url, have);
        } else if (code == CURLE_OK && *status != 200 && *status != 206 && *status != 416) {
            rc = 0; // an HTTP error: the caller names it by *status
        } else if (code == CURLE_OK && (*status == 200 || *status == 206)) {
            rc = 0;
        } else if (code == CURLE_OK) {
            // 416 with a known size: the bytes on disk are all there is (checked next turn)
            // or more than the file: start over once.
            if (tries_without_progress++ >= MAX_TRIES || ftruncate(fileno(f), 0) != 0) {
                fc_fail(err, "%s: the server refused the range %lld- again and again", url, have);
            } else {
                have = 0;
                request_close(&q);
                continue;
            }
        } else if (is_transient(code)) {
            tries_without_progress = have > before ? 0 : tries_without_progress + 1;
            if (tries_without_progress < MAX_TRIES) {
                request_close(&q);
                continue; // ask for the rest
            }
            network_error(&q, code, url, err);
        } else {
            network_error(&q, code, url, err);
        }
        request_close(&q);
        break;
    }
    if (fclose(f) != 0 && rc == 0) rc = fc_fail(err, "%s: write error: %s", path, strerror(errno));
    return rc;
}
