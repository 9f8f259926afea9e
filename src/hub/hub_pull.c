// fc_hub_pull and fc_model_path_resolve: a model's files from the hub into the shared cache,
// the way huggingface_hub's snapshot_download does it: the revision is resolved to a commit
// once (the repository API), then every file is fetched at that commit (HEAD for its etag,
// then the blob, unless the cache has it), and refs/<revision> records the commit last.
#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "finecat.h"
#include "hub/hub_cache.h"
#include "hub/hub_digest.h"
#include "hub/hub_http.h"
#include "hub/hub_id.h"
#include "hub/hub_progress.h"
#include "hub/hub_select.h"
#include "hub/hub_settings.h"
#include "util/alloc.h"
#include "util/error.h"
#include "util/file.h"

typedef struct pull {
    const fc_hub_settings *settings;
    const fc_hub_id *id;
    char commit[41];
    char *repo_dir;
    fc_hub_progress progress;
} pull;

// Percent-encodes text for a URL path; keep_slash keeps '/' (file names in folders), as
// huggingface_hub's hf_hub_url quotes a file name but not a revision (refs/pr/1 -> refs%2Fpr%2F1).
static char *url_escape(const char *text, int keep_slash) {
    char *out = fc_malloc(3 * strlen(text) + 1);
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
            strchr("-._~", *p) || (keep_slash && *p == '/')) {
            out[n++] = (char)*p;
        } else {
            n += (size_t)sprintf(out + n, "%%%02X", *p);
        }
    }
    out[n] = '\0';
    return out;
}

static const char *auth_hint(const fc_hub_settings *s) {
    return s->token ? "the token in HF_TOKEN (or $HF_HOME/token) was sent and refused: check that it is valid "
                      "and has access to the repository"
                    : "if it is private or gated, accept its terms on the hub and set HF_TOKEN to an access token";
}

// The message for an HTTP error status, with what it was about ("the repository" or a file
// name), read as huggingface_hub's hf_raise_for_status reads the hub's X-Error-Code.
static int http_failure(const pull *p, const fc_hub_reply *reply, const char *what, const char *url, fc_error *err) {
    const char *code = reply->error_code ? reply->error_code : "";
    const char *repo = p->id->repo;
    const char *detail = reply->error_message ? reply->error_message : "";
    const char *colon = reply->error_message ? ": " : "";
    if (strcmp(code, "GatedRepo") == 0)
        return fc_fail(err, "%s is a gated repository (HTTP %ld%s%s): accept its terms on the hub, then set "
                            "HF_TOKEN to an access token of that account%s", repo, reply->status, colon, detail,
                       p->settings->token ? " (the token sent was refused)" : "");
    if (strcmp(code, "RevisionNotFound") == 0)
        return fc_fail(err, "%s: revision '%s' not found (HTTP %ld from %s)", repo, p->id->revision, reply->status,
                       url);
    if (strcmp(code, "EntryNotFound") == 0)
        return fc_fail(err, "%s: file %s not found at commit %s (HTTP %ld from %s)", repo, what, p->commit,
                       reply->status, url);
    if (reply->status == 401 || reply->status == 403 || strcmp(code, "RepoNotFound") == 0)
        return fc_fail(err, "%s: repository not found on %s, or no access to it (HTTP %ld%s%s): check the name; %s",
                       repo, p->settings->endpoint, reply->status, colon, detail, auth_hint(p->settings));
    if (reply->status == 404)
        return fc_fail(err, "%s: %s not found at revision '%s' on %s (HTTP 404 from %s): check the name and "
                            "the revision", repo, what, p->id->revision, p->settings->endpoint, url);
    return fc_fail(err, "%s: %s: HTTP %ld from %s%s%s", repo, what, reply->status, url, colon, detail);
}

// The repository at the revision: its commit and the files to fetch.
static int list_files(pull *p, fc_hub_file_list *files, int *sharded, fc_error *err) {
    char *revision = url_escape(p->id->revision, 0);
    size_t n = strlen(p->settings->endpoint) + strlen(p->id->repo) + strlen(revision) + 32;
    char *url = fc_malloc(n);
    snprintf(url, n, "%s/api/models/%s/revision/%s", p->settings->endpoint, p->id->repo, revision);
    free(revision);
    char *body = NULL;
    fc_hub_reply reply;
    int rc = fc_hub_http_get_text(p->settings, url, &body, &reply, err);
    if (rc == 0 && reply.status != 200) rc = http_failure(p, &reply, "the repository", url, err);
    if (rc == 0) rc = fc_hub_select_files(body, p->id->repo, files, sharded, p->commit, err);
    if (rc != 0 && strstr(err->message, "network error"))
        fc_fail_prefix(err, "%s: cannot reach the hub at %s (set HF_HUB_OFFLINE=1 to use the cache only)",
                       p->id->repo, p->settings->endpoint);
    fc_hub_reply_free(&reply);
    free(body);
    free(url);
    return rc;
}

// Holds CACHE/.locks/models--org--name/<etag>.lock, as huggingface_hub's WeakFileLock does,
// so that two processes do not append to one .incomplete file. Returns the descriptor.
static int lock_blob(const pull *p, const char *etag, fc_error *err) {
    char folder_name[FC_HUB_REPO_MAX + 16];
    fc_hub_repo_folder_name(p->id->repo, folder_name, sizeof folder_name);
    size_t n = strlen(p->settings->cache_dir) + strlen(folder_name) + strlen(etag) + 32;
    char *path = fc_malloc(n);
    snprintf(path, n, "%s/.locks/%s", p->settings->cache_dir, folder_name);
    int fd = -1;
    if (fc_hub_mkdirs(path, err) == 0) {
        snprintf(path, n, "%s/.locks/%s/%s.lock", p->settings->cache_dir, folder_name, etag);
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
        if (fd < 0)
            fc_fail(err, "%s: cannot open the lock: %s", path, strerror(errno));
        else if (flock(fd, LOCK_EX) != 0) {
            fc_fail(err, "%s: cannot lock: %s", path, strerror(errno));
            close(fd);
            fd = -1;
        }
    }
    free(path);
    return fd;
}

// Downloads a blob to blobs/<etag>.incomplete (resuming what an earlier run left there),
// checks its size and digest, and renames it to blobs/<etag>.
static int download_blob(pull *p, const char *file, const char *url, const fc_hub_reply *head,
                         const char *blob_path, fc_error *err) {
    size_t n = strlen(blob_path) + 16;
    char *incomplete = fc_malloc(n);
    snprintf(incomplete, n, "%s.incomplete", blob_path);
    struct stat st;
    long long offset = stat(incomplete, &st) == 0 ? (long long)st.st_size : 0;
    if (head->size >= 0 && offset > head->size) offset = 0;
    fc_hub_progress_begin(&p->progress, file, offset, head->size);
    long status = 0;
    int rc = fc_hub_http_download(p->settings, url, incomplete, head->size, &p->progress, &status, err);
    if (rc == 0 && status != 0 && status != 200 && status != 206 && status != 416) {
        fc_hub_reply reply = {.status = status, .size = -1};
        rc = http_failure(p, &reply, file, url, err);
    }
    if (rc == 0 && stat(incomplete, &st) != 0) rc = fc_fail(err, "%s: gone after the download", incomplete);
    if (rc == 0 && head->size >= 0 && (long long)st.st_size != head->size)
        rc = fc_fail(err, "%s: %s: %lld bytes downloaded, the hub said %lld", p->id->repo, file,
                     (long long)st.st_size, head->size);
    fc_hub_progress_end(&p->progress, rc == 0);
    fc_hub_digest_kind kind = fc_hub_digest_kind_of(head->etag);
    char digest[65];
    if (rc == 0) rc = fc_hub_digest_file(incomplete, kind, digest, err);
    if (rc == 0 && kind != FC_HUB_DIGEST_NONE && strcmp(digest, head->etag) != 0) {
        // Keeping it would resume onto wrong bytes next time: remove it.
        remove(incomplete);
        rc = fc_fail(err, "%s: %s: the downloaded file's %s is %s, the hub's etag says %s; the file was removed, "
                          "run the pull again", p->id->repo, file,
                     kind == FC_HUB_DIGEST_SHA256 ? "sha256" : "git blob sha1", digest, head->etag);
    }
    if (rc == 0) {
        if (rename(incomplete, blob_path) != 0)
            rc = fc_fail(err, "%s: cannot rename into place: %s", blob_path, strerror(errno));
    }
    free(incomplete);
    return rc;
}

// One file of the snapshot: nothing when its link is there, a link when its blob is there,
// else a download.
static int fetch_file(pull *p, const char *file, fc_error *err) {
    size_t n = strlen(p->repo_dir) + strlen(file) + 64;
    char *pointer = fc_malloc(n);
    snprintf(pointer, n, "%s/snapshots/%s/%s", p->repo_dir, p->commit, file);
    if (fc_file_exists(pointer)) {
        free(pointer);
        if (p->progress.mode == FC_HUB_PROGRESS_LINES) fc_hub_progress_note(&p->progress, "  %s: in the cache", file);
        return 0;
    }
    free(pointer);

    char *revision = url_escape(p->commit, 0), *name = url_escape(file, 1);
    n = strlen(p->settings->endpoint) + strlen(p->id->repo) + strlen(revision) + strlen(name) + 32;
    char *url = fc_malloc(n);
    snprintf(url, n, "%s/%s/resolve/%s/%s", p->settings->endpoint, p->id->repo, revision, name);
    free(revision);
    free(name);
    fc_hub_reply head;
    int rc = fc_hub_http_head(p->settings, url, &head, err);
    if (rc == 0 && head.status >= 400) rc = http_failure(p, &head, file, url, err);
    if (rc == 0 && (!head.etag || !head.etag[0] || strchr(head.etag, '/') || strstr(head.etag, "..")))
        rc = fc_fail(err, "%s: %s: the hub's answer has no usable ETag or X-Linked-Etag (from %s)", p->id->repo,
                     file, url);
    // huggingface_hub refuses an answer without X-Repo-Commit: no hub endpoint sent it.
    if (rc == 0 && !head.repo_commit)
        rc = fc_fail(err, "%s: %s: the answer from %s has no X-Repo-Commit header: is HF_ENDPOINT (%s) a "
                          "Hugging Face hub?", p->id->repo, file, url, p->settings->endpoint);
    if (rc == 0 && strcmp(head.repo_commit, p->commit) != 0)
        rc = fc_fail(err, "%s: %s: the hub answered for commit %s, not %s", p->id->repo, file, head.repo_commit,
                     p->commit);
    char *blob_dir = fc_path_join(p->repo_dir, "blobs");
    char *blob = fc_path_join(blob_dir, rc == 0 ? head.etag : "");
    if (rc == 0) rc = fc_hub_mkdirs(blob_dir, err);
    if (rc == 0 && !fc_file_exists(blob)) {
        int lock = lock_blob(p, head.etag, err);
        if (lock < 0) {
            rc = -1;
        } else {
            // Another process may have finished it while this one waited for the lock.
            if (!fc_file_exists(blob)) {
                // An LFS file redirects to its content elsewhere (a CDN); others are served here.
                const char *from = head.status >= 300 && head.status < 400 && head.location ? head.location : url;
                rc = download_blob(p, file, from, &head, blob, err);
            }
            close(lock);
        }
    } else if (rc == 0 && p->progress.mode == FC_HUB_PROGRESS_LINES) {
        fc_hub_progress_note(&p->progress, "  %s: in the cache (blob %.12s)", file, head.etag);
    }
    if (rc == 0) rc = fc_hub_cache_link(p->repo_dir, p->commit, file, head.etag, err);
    free(blob);
    free(blob_dir);
    fc_hub_reply_free(&head);
    free(url);
    return rc;
}

static char *snapshot_path(const pull *p) {
    size_t n = strlen(p->repo_dir) + 64;
    char *path = fc_malloc(n);
    snprintf(path, n, "%s/snapshots/%s", p->repo_dir, p->commit);
    return path;
}

static int pull_online(pull *p, char **snapshot_dir, fc_error *err) {
    fc_hub_file_list files = {0}, shards = {0};
    int sharded = 0;
    if (list_files(p, &files, &sharded, err) != 0) return -1;
    fc_hub_progress_note(&p->progress, "finecat pull: %s@%s (commit %s) from %s", p->id->repo, p->id->revision,
                         p->commit, p->settings->endpoint);
    int rc = fc_hub_mkdirs(p->repo_dir, err);
    if (rc == 0) fc_hub_cache_tag(p->settings->cache_dir);
    for (size_t i = 0; rc == 0 && i < files.count; i++) rc = fetch_file(p, files.names[i], err);
    char *snapshot = snapshot_path(p);
    if (rc == 0 && sharded) {
        char *index = fc_path_join(snapshot, "model.safetensors.index.json");
        rc = fc_hub_index_shards(index, &shards, err);
        for (size_t i = 0; rc == 0 && i < shards.count; i++) rc = fetch_file(p, shards.names[i], err);
        free(index);
    }
    // The ref is written last: a ref names a complete snapshot only.
    if (rc == 0 && strcmp(p->id->revision, p->commit) != 0)
        rc = fc_hub_cache_write_ref(p->repo_dir, p->id->revision, p->commit, err);
    fc_hub_file_list_free(&files);
    fc_hub_file_list_free(&shards);
    if (rc == 0) {
        *snapshot_dir = snapshot;
    } else {
        free(snapshot);
    }
    return rc;
}

static int offline_failure(const fc_hub_settings *s, const fc_hub_id *id, fc_error *err) {
    int main_branch = strcmp(id->revision, "main") == 0;
    return fc_fail(err, "%s@%s is not in the cache at %s, and HF_HUB_OFFLINE=1 forbids downloading it: "
                        "run `finecat pull %s%s%s` with network access first, or unset HF_HUB_OFFLINE",
                   id->repo, id->revision, s->cache_dir, id->repo, main_branch ? "" : "@",
                   main_branch ? "" : id->revision);
}

int fc_hub_pull(const char *model_id, fc_hub_progress_mode progress, char **snapshot_dir, fc_error *err) {
    *snapshot_dir = NULL;
    fc_hub_id id;
    if (fc_hub_id_parse(model_id, &id, err) != 0) return -1;
    fc_hub_settings settings;
    fc_hub_settings_read(&settings);
    pull p = {.settings = &settings, .id = &id, .repo_dir = fc_hub_cache_repo_dir(settings.cache_dir, id.repo)};
    fc_hub_progress_init(&p.progress, progress, stderr);
    int rc;
    if (settings.offline) {
        *snapshot_dir = fc_hub_cache_find(settings.cache_dir, &id);
        rc = *snapshot_dir ? 0 : offline_failure(&settings, &id, err);
    } else {
        rc = pull_online(&p, snapshot_dir, err);
    }
    free(p.repo_dir);
    fc_hub_settings_free(&settings);
    return rc;
}

static fc_hub_progress_mode implicit_progress = FC_HUB_PROGRESS_QUIET;

void fc_hub_set_progress(fc_hub_progress_mode mode) {
    implicit_progress = mode;
}

int fc_model_path_resolve(const char *name, char **dir, fc_error *err) {
    *dir = NULL;
    struct stat st;
    if (stat(name, &st) == 0 && S_ISDIR(st.st_mode)) {
        *dir = fc_strdup(name);
        return 0;
    }
    if (!fc_hub_id_looks_like(name))
        return fc_fail(err, "%s: not a model folder (no such directory) nor a hub id (org/name)", name);
    fc_hub_id id;
    if (fc_hub_id_parse(name, &id, err) != 0) return -1;
    fc_hub_settings settings;
    fc_hub_settings_read(&settings);
    // The cache first: a model pulled once loads without the network (`finecat pull` updates).
    *dir = fc_hub_cache_find(settings.cache_dir, &id);
    int rc = 0;
    if (!*dir && settings.offline)
        rc = offline_failure(&settings, &id, err);
    else if (!*dir)
        rc = fc_hub_pull(name, implicit_progress, dir, err);
    fc_hub_settings_free(&settings);
    if (rc != 0) fc_fail_prefix(err, "no folder %s here, and from the hub", name);
    return rc;
}
