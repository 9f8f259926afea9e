#include "fake_hub.h"

#include <cjson/cJSON.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/file.h"

typedef struct hub_file {
    char name[64];
    char *data;
    size_t size;
    int lfs;          // served by redirect to the CDN path, as the hub serves LFS files
    char sha256[65];  // the LFS etag
    char git_sha1[41]; // the ETag of a file kept in git
} hub_file;

enum { MAX_FILES = 12, LOG_CAP = 1 << 16 };

// The hub and its CDN listen on two ports: two origins, as huggingface.co and its CDN are.
typedef struct listener {
    struct fake_hub *hub;
    int is_cdn;
} listener;

struct fake_hub {
    struct MHD_Daemon *daemon, *cdn_daemon;
    listener sides[2];
    char endpoint[64], cdn_endpoint[64];
    hub_file files[MAX_FILES];
    size_t n_files;
    hub_file shard_index, shard; // finecat-test/sharded's own files
    pthread_mutex_t lock;
    char log[LOG_CAP];
    size_t log_len;
    int cut_done; // finecat-test/cut-short has cut its first CDN download
};

static void hex_digest(const EVP_MD *md, const void *prefix, size_t prefix_len, const void *data, size_t len,
                       char *hex) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    EVP_DigestInit_ex(ctx, md, NULL);
    if (prefix_len) EVP_DigestUpdate(ctx, prefix, prefix_len);
    EVP_DigestUpdate(ctx, data, len);
    EVP_DigestFinal_ex(ctx, digest, &n);
    EVP_MD_CTX_free(ctx);
    for (unsigned int i = 0; i < n; i++) sprintf(hex + 2 * i, "%02x", digest[i]);
}

static void file_digests(hub_file *f) {
    hex_digest(EVP_sha256(), NULL, 0, f->data, f->size, f->sha256);
    char header[64];
    int n = snprintf(header, sizeof header, "blob %zu", f->size);
    hex_digest(EVP_sha1(), header, (size_t)n + 1, f->data, f->size, f->git_sha1);
    f->lfs = strstr(f->name, ".safetensors") && !strstr(f->name, ".json");
}

static const hub_file *find_file(const fake_hub *hub, const char *repo, const char *name) {
    int sharded = strcmp(repo, "finecat-test/sharded") == 0;
    if (sharded && strcmp(name, hub->shard_index.name) == 0) return &hub->shard_index;
    if (sharded && strcmp(name, hub->shard.name) == 0) return &hub->shard;
    if (sharded && strcmp(name, "model.safetensors") == 0) return NULL;
    for (size_t i = 0; i < hub->n_files; i++)
        if (strcmp(hub->files[i].name, name) == 0) return &hub->files[i];
    return NULL;
}

static int known_repo(const char *repo) {
    static const char *const repos[] = {"finecat-test/tiny", "finecat-test/cut-short", "finecat-test/bad-sha",
                                        "finecat-test/gated", "finecat-test/sharded"};
    for (size_t i = 0; i < sizeof repos / sizeof repos[0]; i++)
        if (strcmp(repo, repos[i]) == 0) return 1;
    return 0;
}

static int known_revision(const char *rev) {
    return strcmp(rev, "main") == 0 || strcmp(rev, "v1") == 0 || strcmp(rev, FAKE_HUB_COMMIT) == 0;
}

static enum MHD_Result send_text(struct MHD_Connection *c, unsigned status, const char *text, const char *error_code) {
    struct MHD_Response *r = MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_MUST_COPY);
    if (error_code) {
        MHD_add_response_header(r, "X-Error-Code", error_code);
        MHD_add_response_header(r, "X-Error-Message", text);
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
    enum MHD_Result result = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return result;
}

static enum MHD_Result api_answer(struct MHD_Connection *c, const fake_hub *hub, const char *repo) {
    cJSON *info = cJSON_CreateObject();
    cJSON_AddStringToObject(info, "id", repo);
    cJSON_AddStringToObject(info, "sha", FAKE_HUB_COMMIT);
    cJSON *siblings = cJSON_AddArrayToObject(info, "siblings");
    // Files finecat must leave alone, as real repositories have them.
    static const char *const extras[] = {".gitattributes", "README.md", "pytorch_model.bin", "onnx/model.onnx"};
    for (size_t i = 0; i < sizeof extras / sizeof extras[0]; i++) {
        cJSON *entry = cJSON_CreateObject();
        cJSON_AddStringToObject(entry, "rfilename", extras[i]);
        cJSON_AddItemToArray(siblings, entry);
    }
    int sharded = strcmp(repo, "finecat-test/sharded") == 0;
    const hub_file *listed[MAX_FILES + 2];
    size_t n = 0;
    for (size_t i = 0; i < hub->n_files; i++)
        if (!sharded || strcmp(hub->files[i].name, "model.safetensors") != 0) listed[n++] = &hub->files[i];
    if (sharded) {
        listed[n++] = &hub->shard_index;
        listed[n++] = &hub->shard;
    }
    for (size_t i = 0; i < n; i++) {
        cJSON *entry = cJSON_CreateObject();
        cJSON_AddStringToObject(entry, "rfilename", listed[i]->name);
        cJSON_AddItemToArray(siblings, entry);
    }
    char *text = cJSON_PrintUnformatted(info);
    cJSON_Delete(info);
    enum MHD_Result result = send_text(c, 200, text, NULL);
    free(text);
    return result;
}

// The body of a CDN answer: the bytes from `from`, ended early (the connection dropped) at
// `cut` when cut > 0.
typedef struct cdn_body {
    const hub_file *file;
    size_t from, cut;
} cdn_body;

static ssize_t read_body(void *cls, uint64_t pos, char *buf, size_t max) {
    cdn_body *body = cls;
    size_t at = body->from + (size_t)pos;
    if (body->cut && at >= body->cut) return MHD_CONTENT_READER_END_WITH_ERROR;
    size_t end = body->cut ? body->cut : body->file->size;
    if (at >= body->file->size) return MHD_CONTENT_READER_END_OF_STREAM;
    size_t n = end - at < max ? end - at : max;
    memcpy(buf, body->file->data + at, n);
    return (ssize_t)n;
}

static enum MHD_Result cdn_answer(struct MHD_Connection *c, fake_hub *hub, const hub_file *f, int may_cut) {
    const char *range = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Range");
    size_t from = 0;
    if (range && strncmp(range, "bytes=", 6) == 0) from = (size_t)strtoull(range + 6, NULL, 10);
    if (from >= f->size && f->size > 0) return send_text(c, 416, "range not satisfiable", NULL);
    cdn_body *body = calloc(1, sizeof *body);
    body->file = f;
    body->from = from;
    pthread_mutex_lock(&hub->lock);
    if (may_cut && !hub->cut_done) {
        body->cut = FAKE_HUB_CUT;
        hub->cut_done = 1;
    }
    pthread_mutex_unlock(&hub->lock);
    struct MHD_Response *r = MHD_create_response_from_callback(f->size - from, 64 * 1024, read_body, body, free);
    unsigned status = 200;
    if (range) {
        char content_range[96];
        snprintf(content_range, sizeof content_range, "bytes %zu-%zu/%zu", from, f->size - 1, f->size);
        MHD_add_response_header(r, "Content-Range", content_range);
        status = 206;
    }
    MHD_add_response_header(r, "Accept-Ranges", "bytes");
    enum MHD_Result result = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return result;
}

static enum MHD_Result resolve_answer(struct MHD_Connection *c, fake_hub *hub, const char *repo, const hub_file *f,
                                      int is_get) {
    struct MHD_Response *r;
    unsigned status;
    if (f->lfs) {
        // The hub's answer for an LFS file: a redirect to the content, with the file's own
        // sha256 and size in X-Linked-*; the ETag is the pointer file's.
        char location[256], size[32];
        snprintf(location, sizeof location, "%s/cdn/%s/%s", hub->cdn_endpoint, strchr(repo, '/') + 1, f->sha256);
        snprintf(size, sizeof size, "%zu", f->size);
        r = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
        MHD_add_response_header(r, MHD_HTTP_HEADER_LOCATION, location);
        char linked[80];
        // bad-sha: an etag one digit off the content's sha256.
        snprintf(linked, sizeof linked, "\"%s\"", f->sha256);
        if (strcmp(repo, "finecat-test/bad-sha") == 0) linked[1] = linked[1] == '0' ? '1' : '0';
        MHD_add_response_header(r, "X-Linked-Etag", linked);
        MHD_add_response_header(r, "X-Linked-Size", size);
        MHD_add_response_header(r, MHD_HTTP_HEADER_ETAG, "\"0123456789abcdef0123456789abcdef01234567\"");
        status = 302;
    } else {
        r = MHD_create_response_from_buffer(f->size, f->data, MHD_RESPMEM_PERSISTENT);
        char etag[48];
        snprintf(etag, sizeof etag, "\"%s\"", f->git_sha1);
        MHD_add_response_header(r, MHD_HTTP_HEADER_ETAG, etag);
        status = 200;
    }
    (void)is_get;
    MHD_add_response_header(r, "X-Repo-Commit", FAKE_HUB_COMMIT);
    enum MHD_Result result = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return result;
}

static void log_request(fake_hub *hub, struct MHD_Connection *c, const char *method, const char *url) {
    const char *range = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Range");
    const char *auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
    pthread_mutex_lock(&hub->lock);
    int n = snprintf(hub->log + hub->log_len, LOG_CAP - hub->log_len, "%s %s range=%s auth=%s\n", method, url,
                     range && strncmp(range, "bytes=", 6) == 0 ? range + 6 : "", auth ? "yes" : "no");
    if (n > 0 && hub->log_len + (size_t)n < LOG_CAP) hub->log_len += (size_t)n;
    pthread_mutex_unlock(&hub->lock);
}

// Splits "{org}/{name}/{rest}" of path: repo gets "org/name", *rest points after it.
static int split_repo(const char *path, char *repo, size_t size, const char **rest) {
    const char *slash = strchr(path, '/');
    const char *second = slash ? strchr(slash + 1, '/') : NULL;
    if (!second || (size_t)(second - path) >= size) return 0;
    memcpy(repo, path, (size_t)(second - path));
    repo[second - path] = '\0';
    *rest = second + 1;
    return 1;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                  const char *version, const char *upload_data, size_t *upload_size, void **state) {
    const listener *side = cls;
    fake_hub *hub = side->hub;
    if (!*state) { // the headers; the (empty) body comes in the next call
        *state = hub;
        return MHD_YES;
    }
    log_request(hub, c, method, url);
    int is_get = strcmp(method, "GET") == 0, is_head = strcmp(method, "HEAD") == 0;
    if (!is_get && !is_head) return send_text(c, 405, "method not allowed", NULL);

    if ((strncmp(url, "/cdn/", 5) == 0) != side->is_cdn) return send_text(c, 404, "not found here", NULL);
    if (side->is_cdn) {
        const char *key = url + 5, *slash = strchr(key, '/');
        if (!slash) return send_text(c, 404, "no such blob", NULL);
        for (size_t i = 0; i < hub->n_files + 2; i++) {
            const hub_file *f = i < hub->n_files ? &hub->files[i] : i == hub->n_files ? &hub->shard_index : &hub->shard;
            if (f->lfs && strcmp(slash + 1, f->sha256) == 0)
                return cdn_answer(c, hub, f, is_get && strncmp(key, "cut-short/", 10) == 0);
        }
        return send_text(c, 404, "no such blob", NULL);
    }

    char repo[128];
    const char *rest = NULL;
    int api = strncmp(url, "/api/models/", 12) == 0;
    if (!split_repo(api ? url + 12 : url + 1, repo, sizeof repo, &rest))
        return send_text(c, 404, "Repository not found", "RepoNotFound");
    if (!known_repo(repo)) return send_text(c, 404, "Repository not found", "RepoNotFound");
    if (strcmp(repo, "finecat-test/gated") == 0) {
        const char *auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
        if (!auth || strcmp(auth, "Bearer " FAKE_HUB_TOKEN) != 0)
            return send_text(c, 401, "Access to model finecat-test/gated is restricted.", "GatedRepo");
    }
    const char *kind = api ? "revision/" : "resolve/";
    if (strncmp(rest, kind, strlen(kind)) != 0) return send_text(c, 404, "not found", NULL);
    rest += strlen(kind);
    char revision[128];
    const char *end = api ? rest + strlen(rest) : strchr(rest, '/');
    if (!end || (size_t)(end - rest) >= sizeof revision) return send_text(c, 404, "not found", NULL);
    memcpy(revision, rest, (size_t)(end - rest));
    revision[end - rest] = '\0';
    if (!known_revision(revision)) return send_text(c, 404, "Invalid rev id", "RevisionNotFound");
    if (api) return api_answer(c, hub, repo);
    const hub_file *f = find_file(hub, repo, end + 1);
    if (!f) return send_text(c, 404, "Entry not found", "EntryNotFound");
    return resolve_answer(c, hub, repo, f, is_get);
}

// The sharded repository's index: every tensor of model.safetensors in the one shard.
static int make_shard(fake_hub *hub, const hub_file *weights) {
    uint64_t header_len = 0;
    if (weights->size < 8) return -1;
    memcpy(&header_len, weights->data, 8);
    if (header_len > weights->size - 8) return -1;
    char *header_text = strndup(weights->data + 8, (size_t)header_len);
    cJSON *header = cJSON_Parse(header_text);
    free(header_text);
    if (!header) return -1;
    cJSON *index = cJSON_CreateObject();
    cJSON *metadata = cJSON_AddObjectToObject(index, "metadata");
    cJSON_AddNumberToObject(metadata, "total_size", (double)weights->size);
    cJSON *map = cJSON_AddObjectToObject(index, "weight_map");
    const cJSON *entry;
    cJSON_ArrayForEach(entry, header) {
        if (strcmp(entry->string, "__metadata__") != 0) cJSON_AddStringToObject(map, entry->string, FAKE_HUB_SHARD);
    }
    cJSON_Delete(header);
    hub->shard_index.data = cJSON_Print(index);
    cJSON_Delete(index);
    hub->shard_index.size = strlen(hub->shard_index.data);
    snprintf(hub->shard_index.name, sizeof hub->shard_index.name, "model.safetensors.index.json");
    file_digests(&hub->shard_index);
    hub->shard.data = malloc(weights->size);
    memcpy(hub->shard.data, weights->data, weights->size);
    hub->shard.size = weights->size;
    snprintf(hub->shard.name, sizeof hub->shard.name, "%s", FAKE_HUB_SHARD);
    file_digests(&hub->shard);
    return 0;
}

fake_hub *fake_hub_start(const char *model_dir) {
    static const char *const names[] = {"config.json", "model.safetensors", "tokenizer.json", "spm.model",
                                        "tokenizer_config.json", "special_tokens_map.json", "added_tokens.json"};
    fake_hub *hub = calloc(1, sizeof *hub);
    pthread_mutex_init(&hub->lock, NULL);
    const hub_file *weights = NULL;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char *path = fc_path_join(model_dir, names[i]);
        hub_file *f = &hub->files[hub->n_files];
        fc_error err;
        if (fc_file_exists(path)) {
            if (fc_read_file(path, &f->data, &f->size, &err) != 0) {
                fprintf(stderr, "fake hub: %s\n", err.message);
                free(path);
                fake_hub_stop(hub);
                return NULL;
            }
            snprintf(f->name, sizeof f->name, "%s", names[i]);
            file_digests(f);
            if (strcmp(f->name, "model.safetensors") == 0) weights = f;
            hub->n_files++;
        }
        free(path);
    }
    if (!weights || make_shard(hub, weights) != 0) {
        fprintf(stderr, "fake hub: %s has no readable model.safetensors\n", model_dir);
        fake_hub_stop(hub);
        return NULL;
    }
    for (int cdn = 0; cdn < 2; cdn++) {
        hub->sides[cdn] = (listener){.hub = hub, .is_cdn = cdn};
        struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = 0, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        struct MHD_Daemon *daemon = MHD_start_daemon(
            MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION | MHD_USE_POLL, 0, NULL, NULL, on_request,
            &hub->sides[cdn], MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr, MHD_OPTION_CONNECTION_TIMEOUT, 10u,
            MHD_OPTION_END);
        if (!daemon) {
            fprintf(stderr, "fake hub: libmicrohttpd could not listen on 127.0.0.1\n");
            fake_hub_stop(hub);
            return NULL;
        }
        *(cdn ? &hub->cdn_daemon : &hub->daemon) = daemon;
        const union MHD_DaemonInfo *info = MHD_get_daemon_info(daemon, MHD_DAEMON_INFO_BIND_PORT);
        snprintf(cdn ? hub->cdn_endpoint : hub->endpoint, sizeof hub->endpoint, "http://127.0.0.1:%u",
                 info ? (unsigned)info->port : 0u);
    }
    return hub;
}

void fake_hub_stop(fake_hub *hub) {
    if (!hub) return;
    if (hub->daemon) MHD_stop_daemon(hub->daemon);
    if (hub->cdn_daemon) MHD_stop_daemon(hub->cdn_daemon);
    for (size_t i = 0; i < hub->n_files; i++) free(hub->files[i].data);
    free(hub->shard_index.data);
    free(hub->shard.data);
    pthread_mutex_destroy(&hub->lock);
    free(hub);
}

const char *fake_hub_endpoint(const fake_hub *hub) {
    return hub->endpoint;
}

char *fake_hub_log(fake_hub *hub) {
    pthread_mutex_lock(&hub->lock);
    char *copy = strndup(hub->log, hub->log_len);
    pthread_mutex_unlock(&hub->lock);
    return copy;
}

void fake_hub_clear_log(fake_hub *hub) {
    pthread_mutex_lock(&hub->lock);
    hub->log_len = 0;
    hub->log[0] = '\0';
    pthread_mutex_unlock(&hub->lock);
}

static const hub_file *any_file(const fake_hub *hub, const char *name) {
    const hub_file *f = find_file(hub, "finecat-test/sharded", name);
    return f ? f : find_file(hub, "finecat-test/tiny", name);
}

const char *fake_hub_sha256(const fake_hub *hub, const char *file) {
    const hub_file *f = any_file(hub, file);
    return f ? f->sha256 : NULL;
}

const char *fake_hub_git_sha1(const fake_hub *hub, const char *file) {
    const hub_file *f = any_file(hub, file);
    return f ? f->git_sha1 : NULL;
}
