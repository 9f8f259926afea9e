// The hub's HTTP requests, through libcurl: HEAD of a file (its commit, etag, size, redirect),
// GET of a small JSON answer, and GET of a file onto the end of a partial download with a
// Range header. Network failures are errors; HTTP statuses are returned for the caller, who
// knows which repository, revision or file a 404 is about.
#ifndef FC_HUB_HTTP_H
#define FC_HUB_HTTP_H

#include <stddef.h>

#include "finecat.h"
#include "hub/hub_progress.h"
#include "hub/hub_settings.h"

typedef struct fc_hub_reply {
    long status;         // HTTP status of the (last) response
    char *location;      // Location of a redirect, or NULL
    char *repo_commit;   // X-Repo-Commit
    char *etag;          // X-Linked-Etag, else ETag, without quotes or W/ (huggingface_hub's
                         // _normalize_etag)
    long long size;      // X-Linked-Size, else Content-Length of a non-redirect; -1 when absent
    long long linked_size, content_length; // the two headers as sent (-1: absent)
    char *error_code;    // X-Error-Code: RepoNotFound, RevisionNotFound, EntryNotFound, GatedRepo
    char *error_message; // X-Error-Message
} fc_hub_reply;

void fc_hub_reply_free(fc_hub_reply *reply);

// HEAD url. As huggingface_hub's get_hf_file_metadata does, a redirect that stays on the hub
// (the same origin, or huggingface.co, hf.co, the endpoint) is followed: a renamed repository;
// a redirect elsewhere (the CDN of an LFS file) is not: its headers are the file's metadata,
// and its Location, made absolute, is where the content is.
int fc_hub_http_head(const fc_hub_settings *settings, const char *url, fc_hub_reply *reply, fc_error *err);

// GET url into a NUL-terminated *body (free() it), following redirects.
int fc_hub_http_get_text(const fc_hub_settings *settings, const char *url, char **body, fc_hub_reply *reply,
                         fc_error *err);

// GET url onto the end of the file at path, which may hold the first bytes already: they are
// kept and the rest is asked for with "Range: bytes=N-" (a server that answers 200 instead
// of 206 gets the file started over). A transfer cut short is resumed the same way, up to 5
// times in a row without progress. expected_size (or -1) ends the work early when the file
// is whole. On return *status is the HTTP status of the last response (0 when none came).
int fc_hub_http_download(const fc_hub_settings *settings, const char *url, const char *path,
                         long long expected_size, fc_hub_progress *progress, long *status, fc_error *err);

#endif
