#include "hub/hub_cache.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hub/hub_select.h"
#include "util/alloc.h"
#include "util/error.h"
#include "util/file.h"

void fc_hub_cache_tag(const char *cache_dir) {
    char *path = fc_path_join(cache_dir, "CACHEDIR.TAG");
    if (!fc_file_exists(path)) {
        FILE *f = fopen(path, "w");
        if (f) {
            fputs("Signature: 8a477f597d28d172789f06886806bc55\n"
                  "# This file is a cache directory tag created by finecat, as huggingface_hub creates it.\n"
                  "# For information about cache directory tags, see:\n"
                  "#\thttps://bford.info/cachedir/\n", f);
            fclose(f);
        }
    }
    free(path);
}

char *fc_hub_cache_repo_dir(const char *cache_dir, const char *repo) {
    char folder[FC_HUB_REPO_MAX + 16];
    fc_hub_repo_folder_name(repo, folder, sizeof folder);
    return fc_path_join(cache_dir, folder);
}

int fc_hub_mkdirs(const char *path, fc_error *err) {
    char *copy = fc_strdup(path);
    for (char *p = copy + 1; ; p++) {
        if (*p != '/' && *p != '\0') continue;
        char saved = *p;
        *p = '\0';
        if (mkdir(copy, 0777) != 0 && errno != EEXIST) {
            fc_fail(err, "%s: cannot create the folder: %s", copy, strerror(errno));
            free(copy);
            return -1;
        }
        *p = saved;
        if (saved == '\0') break;
    }
    free(copy);
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
        return fc_fail(err, "%s: exists and is not a folder", path);
    return 0;
}

int fc_hub_cache_read_ref(const char *repo_dir, const char *revision, char *commit) {
    size_t n = strlen(repo_dir) + strlen(revision) + 8;
    char *path = fc_malloc(n);
    snprintf(path, n, "%s/refs/%s", repo_dir, revision);
    FILE *f = fopen(path, "r");
    free(path);
    if (!f) return 0;
    char text[64] = "";
    size_t got = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[got] = '\0';
    text[strcspn(text, " \t\r\n")] = '\0'; // huggingface_hub writes none; tolerate a newline
    if (!fc_hub_is_commit_sha(text)) return 0;
    memcpy(commit, text, 41);
    return 1;
}

// A name beside path, unique to this process, to write and then rename over path.
static char *temporary_beside(const char *path) {
    size_t n = strlen(path) + 32;
    char *tmp = fc_malloc(n);
    snprintf(tmp, n, "%s.%ld.tmp", path, (long)getpid());
    return tmp;
}

int fc_hub_cache_write_ref(const char *repo_dir, const char *revision, const char *commit, fc_error *err) {
    char current[41];
    if (fc_hub_cache_read_ref(repo_dir, revision, current) && strcmp(current, commit) == 0) return 0;
    size_t n = strlen(repo_dir) + strlen(revision) + 8;
    char *path = fc_malloc(n);
    snprintf(path, n, "%s/refs/%s", repo_dir, revision);
    char *folder = fc_strdup(path);
    *strrchr(folder, '/') = '\0'; // a revision such as refs/pr/1 has folders of its own
    char *tmp = temporary_beside(path);
    int rc = fc_hub_mkdirs(folder, err);
    if (rc == 0) {
        FILE *f = fopen(tmp, "w");
        if (!f || fputs(commit, f) == EOF || fclose(f) != 0) {
            rc = fc_fail(err, "%s: cannot write: %s", tmp, strerror(errno));
            remove(tmp);
        } else if (rename(tmp, path) != 0) {
            rc = fc_fail(err, "%s: cannot rename into place: %s", path, strerror(errno));
            remove(tmp);
        }
    }
    free(tmp);
    free(folder);
    free(path);
    return rc;
}

int fc_hub_cache_link(const char *repo_dir, const char *commit, const char *file, const char *etag,
                      fc_error *err) {
    size_t n = strlen(repo_dir) + strlen(commit) + strlen(file) + 16;
    char *link_path = fc_malloc(n);
    snprintf(link_path, n, "%s/snapshots/%s/%s", repo_dir, commit, file);
    char *folder = fc_strdup(link_path);
    *strrchr(folder, '/') = '\0';
    // From snapshots/<commit>/a/b: up over a/, <commit>/, snapshots/ and into blobs/.
    size_t depth = 2;
    for (const char *p = file; *p; p++) depth += *p == '/';
    size_t target_size = 3 * depth + strlen(etag) + 8;
    char *target = fc_malloc(target_size);
    target[0] = '\0';
    for (size_t i = 0; i < depth; i++) strcat(target, "../");
    strcat(target, "blobs/");
    strcat(target, etag);
    char *tmp = temporary_beside(link_path);
    int rc = fc_hub_mkdirs(folder, err);
    if (rc == 0) {
        remove(tmp);
        if (symlink(target, tmp) != 0) {
            rc = fc_fail(err, "%s: cannot create the link: %s", tmp, strerror(errno));
        } else if (rename(tmp, link_path) != 0) {
            rc = fc_fail(err, "%s: cannot rename the link into place: %s", link_path, strerror(errno));
            remove(tmp);
        }
    }
    free(tmp);
    free(target);
    free(folder);
    free(link_path);
    return rc;
}

int fc_hub_cache_snapshot_complete(const char *snapshot_dir) {
    char *config = fc_path_join(snapshot_dir, "config.json");
    char *single = fc_path_join(snapshot_dir, "model.safetensors");
    char *index = fc_path_join(snapshot_dir, "model.safetensors.index.json");
    // fc_file_exists follows the link: a link whose blob is gone does not count.
    int complete = fc_file_exists(config) && fc_file_exists(single);
    if (!complete && fc_file_exists(config) && fc_file_exists(index)) {
        fc_hub_file_list shards = {0};
        fc_error ignored;
        complete = fc_hub_index_shards(index, &shards, &ignored) == 0;
        for (size_t i = 0; complete && i < shards.count; i++) {
            char *shard = fc_path_join(snapshot_dir, shards.names[i]);
            complete = fc_file_exists(shard);
            free(shard);
        }
        fc_hub_file_list_free(&shards);
    }
    free(index);
    free(single);
    free(config);
    return complete;
}

char *fc_hub_cache_find(const char *cache_dir, const fc_hub_id *id) {
    char *repo_dir = fc_hub_cache_repo_dir(cache_dir, id->repo);
    char commit[41];
    int known = 0;
    if (fc_hub_is_commit_sha(id->revision)) {
        memcpy(commit, id->revision, 41);
        known = 1;
    } else {
        known = fc_hub_cache_read_ref(repo_dir, id->revision, commit);
    }
    char *snapshot = NULL;
    if (known) {
        size_t n = strlen(repo_dir) + 64;
        snapshot = fc_malloc(n);
        snprintf(snapshot, n, "%s/snapshots/%s", repo_dir, commit);
        if (!fc_hub_cache_snapshot_complete(snapshot)) {
            free(snapshot);
            snapshot = NULL;
        }
    }
    free(repo_dir);
    return snapshot;
}
