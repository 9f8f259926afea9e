// Tests of `finecat pull` and of hub ids as --model, against tests/fake_hub.c on 127.0.0.1:
// the cache layout huggingface_hub reads (blobs by etag, relative snapshot links, refs), a
// CDN redirect, a download cut short and resumed, a wrong sha256, a gated repository, 404s,
// offline mode, a sharded checkpoint, and the model loading from the cache afterwards.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fake_hub.h"
#include "finecat.h"
#include "harness.h"
#include "hub/hub_digest.h"
#include "hub/hub_id.h"
#include "hub/hub_select.h"
#include "hub/hub_settings.h"
#include "util/file.h"

static char temp_dir[64];
static fake_hub *hub;
static char fixture_dir[512];

static int contains(const char *haystack, const char *needle) {
    return haystack && strstr(haystack, needle) != NULL;
}

static char *read_text(const char *path) {
    char *text = NULL;
    fc_error err;
    if (fc_read_file(path, &text, NULL, &err) != 0) text = strdup("");
    return text;
}

static void write_text(const char *path, const char *text, size_t size) {
    FILE *f = fopen(path, "wb");
    if (!f) return;
    fwrite(text, 1, size, f);
    fclose(f);
}

static int same_bytes(const char *a, const char *b) {
    char *x = NULL, *y = NULL;
    size_t nx = 0, ny = 0;
    fc_error err;
    int same = fc_read_file(a, &x, &nx, &err) == 0 && fc_read_file(b, &y, &ny, &err) == 0 && nx == ny &&
               memcmp(x, y, nx) == 0;
    free(x);
    free(y);
    return same;
}

// A fresh HF_HOME under the temp folder, set in this process's environment with the fake hub.
static const char *use_home(const char *name) {
    static char home[160];
    snprintf(home, sizeof home, "%s/%s", temp_dir, name);
    mkdir(home, 0777);
    setenv("HF_HOME", home, 1);
    setenv("HF_ENDPOINT", fake_hub_endpoint(hub), 1);
    unsetenv("HF_HUB_CACHE");
    unsetenv("HUGGINGFACE_HUB_CACHE");
    unsetenv("HF_TOKEN");
    unsetenv("HUGGING_FACE_HUB_TOKEN");
    unsetenv("HF_TOKEN_PATH");
    unsetenv("HF_HUB_OFFLINE");
    unsetenv("TRANSFORMERS_OFFLINE");
    return home;
}

static void repo_path(char *out, size_t size, const char *home, const char *repo_folder, const char *rest) {
    snprintf(out, size, "%s/hub/%s/%s", home, repo_folder, rest);
}

// ---------------------------------------------------------------------------------------------
// Pieces

static void test_ids(void) {
    CHECK(fc_hub_id_looks_like("org/name"));
    CHECK(fc_hub_id_looks_like("tasksource/ModernBERT-base-nli"));
    CHECK(fc_hub_id_looks_like("org/name@v1.0"));
    CHECK(fc_hub_id_looks_like("org/name@refs/pr/1"));
    CHECK(!fc_hub_id_looks_like("/abs/path"));
    CHECK(!fc_hub_id_looks_like("./org/name"));
    CHECK(!fc_hub_id_looks_like("a/b/c"));
    CHECK(!fc_hub_id_looks_like("name-only"));
    CHECK(!fc_hub_id_looks_like("a--b/c"));
    CHECK(!fc_hub_id_looks_like("a/b@"));
    CHECK(!fc_hub_id_looks_like("a/b@../x"));
    CHECK(!fc_hub_id_looks_like("-a/b"));
    fc_hub_id id;
    fc_error err;
    CHECK(fc_hub_id_parse("org/name", &id, &err) == 0 && strcmp(id.repo, "org/name") == 0 &&
          strcmp(id.revision, "main") == 0);
    CHECK(fc_hub_id_parse("org/name@v2", &id, &err) == 0 && strcmp(id.repo, "org/name") == 0 &&
          strcmp(id.revision, "v2") == 0);
    CHECK(fc_hub_id_parse("org", &id, &err) != 0 && contains(err.message, "'org'") &&
          contains(err.message, "org/name"));
    char folder[FC_HUB_REPO_MAX + 16];
    fc_hub_repo_folder_name("julien-c/EsperBERTo-small", folder, sizeof folder);
    CHECK(strcmp(folder, "models--julien-c--EsperBERTo-small") == 0); // huggingface_hub's example
    CHECK(fc_hub_is_commit_sha(FAKE_HUB_COMMIT));
    CHECK(!fc_hub_is_commit_sha("main"));
    CHECK(!fc_hub_is_commit_sha("5F0C1D2E3A4B5C6D7E8F90A1B2C3D4E5F6A7B8C9"));
}

static void test_digests(void) {
    char path[128], hex[65];
    fc_error err;
    snprintf(path, sizeof path, "%s/abc", temp_dir);
    write_text(path, "abc", 3);
    // FIPS 180-2's example, and what `git hash-object` prints for a file "hello\n".
    CHECK(fc_hub_digest_file(path, FC_HUB_DIGEST_SHA256, hex, &err) == 0 &&
          strcmp(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad") == 0);
    snprintf(path, sizeof path, "%s/hello", temp_dir);
    write_text(path, "hello\n", 6);
    CHECK(fc_hub_digest_file(path, FC_HUB_DIGEST_GIT_SHA1, hex, &err) == 0 &&
          strcmp(hex, "ce013625030ba8dba906f756967f9e9ca394464a") == 0);
    CHECK(fc_hub_digest_kind_of("ce013625030ba8dba906f756967f9e9ca394464a") == FC_HUB_DIGEST_GIT_SHA1);
    CHECK(fc_hub_digest_kind_of("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad") ==
          FC_HUB_DIGEST_SHA256);
    CHECK(fc_hub_digest_kind_of("W/abc") == FC_HUB_DIGEST_NONE);
}

// What a repository's listing makes finecat fetch, and what it refuses.
static void test_selection(void) {
    fc_hub_file_list files;
    int sharded = 0;
    char commit[41];
    fc_error err;
    const char *listing = "{\"sha\": \"" FAKE_HUB_COMMIT "\", \"siblings\": [{\"rfilename\": \"README.md\"}, "
                          "{\"rfilename\": \"spm.model\"}, {\"rfilename\": \"model.safetensors\"}, "
                          "{\"rfilename\": \"pytorch_model.bin\"}, {\"rfilename\": \"added_tokens.json\"}, "
                          "{\"rfilename\": \"config.json\"}, {\"rfilename\": \"onnx/model.onnx\"}]}";
    CHECK(fc_hub_select_files(listing, "o/n", &files, &sharded, commit, &err) == 0);
    CHECK(files.count == 4 && !sharded && strcmp(commit, FAKE_HUB_COMMIT) == 0);
    if (files.count == 4)
        CHECK(strcmp(files.names[0], "config.json") == 0 && strcmp(files.names[1], "spm.model") == 0 &&
              strcmp(files.names[2], "added_tokens.json") == 0 && strcmp(files.names[3], "model.safetensors") == 0);
    fc_hub_file_list_free(&files);
    struct {
        const char *json, *phrase;
    } bad[] = {
        {"<html>", "not the JSON expected"},
        {"{\"sha\": \"" FAKE_HUB_COMMIT "\"}", "no \"siblings\""},
        {"{\"siblings\": []}", "no commit"},
        {"{\"sha\": \"" FAKE_HUB_COMMIT "\", \"siblings\": [{\"rfilename\": \"model.safetensors\"}]}",
         "no config.json"},
        {"{\"sha\": \"" FAKE_HUB_COMMIT "\", \"siblings\": [{\"rfilename\": \"config.json\"}, "
         "{\"rfilename\": \"pytorch_model.bin\"}, {\"rfilename\": \"tokenizer.json\"}]}",
         "safetensors weights only"},
        {"{\"sha\": \"" FAKE_HUB_COMMIT "\", \"siblings\": [{\"rfilename\": \"config.json\"}, "
         "{\"rfilename\": \"model.safetensors\"}, {\"rfilename\": \"vocab.txt\"}]}",
         "neither tokenizer.json nor spm.model"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CHECK(fc_hub_select_files(bad[i].json, "o/n", &files, &sharded, commit, &err) != 0);
        CHECK(contains(err.message, "o/n") && contains(err.message, bad[i].phrase));
        fc_hub_file_list_free(&files);
    }
    // An index may not name a shard outside the snapshot.
    char path[128];
    snprintf(path, sizeof path, "%s/index.json", temp_dir);
    const char *index = "{\"weight_map\": {\"a\": \"model-1.safetensors\", \"b\": \"../../blobs/x\"}}";
    write_text(path, index, strlen(index));
    CHECK(fc_hub_index_shards(path, &files, &err) != 0 && contains(err.message, "weight_map[\"b\"]"));
    fc_hub_file_list_free(&files);
}

static void test_settings(void) {
    const char *home = use_home("settings");
    fc_hub_settings s;
    setenv("HF_ENDPOINT", "http://example.test/", 1);
    fc_hub_settings_read(&s);
    char want[256];
    snprintf(want, sizeof want, "%s/hub", home);
    CHECK(strcmp(s.cache_dir, want) == 0);
    CHECK(strcmp(s.endpoint, "http://example.test") == 0);
    CHECK(s.token == NULL && !s.offline);
    fc_hub_settings_free(&s);

    char token_path[256];
    snprintf(token_path, sizeof token_path, "%s/token", home);
    write_text(token_path, "hf_from_file\n", 13);
    setenv("HF_HUB_CACHE", "/elsewhere/cache", 1);
    setenv("HF_HUB_OFFLINE", "yes", 1);
    fc_hub_settings_read(&s);
    CHECK(s.token && strcmp(s.token, "hf_from_file") == 0);
    CHECK(strcmp(s.cache_dir, "/elsewhere/cache") == 0);
    CHECK(s.offline);
    fc_hub_settings_free(&s);

    setenv("HF_TOKEN", " hf_from_env ", 1);
    setenv("HF_HUB_OFFLINE", "0", 1);
    unsetenv("HF_ENDPOINT");
    fc_hub_settings_read(&s);
    CHECK(s.token && strcmp(s.token, "hf_from_env") == 0);
    CHECK(!s.offline);
    CHECK(strcmp(s.endpoint, "https://huggingface.co") == 0);
    fc_hub_settings_free(&s);
    use_home("settings");
}

// ---------------------------------------------------------------------------------------------
// Pulls through the library

// The snapshot file's link is relative, points at blobs/<etag>, and the blob holds the
// fixture's bytes.
static void check_link(const char *home, const char *folder, const char *file, const char *etag,
                       const char *fixture_file) {
    char path[512], target[256], want[256], blob[512];
    char rest[256];
    snprintf(rest, sizeof rest, "snapshots/%s/%s", FAKE_HUB_COMMIT, file);
    repo_path(path, sizeof path, home, folder, rest);
    ssize_t n = readlink(path, target, sizeof target - 1);
    CHECK(n > 0);
    target[n > 0 ? n : 0] = '\0';
    snprintf(want, sizeof want, "../../blobs/%s", etag ? etag : "?");
    CHECK(strcmp(target, want) == 0);
    if (strcmp(target, want) != 0) fprintf(stderr, "  %s -> %s, want %s\n", file, target, want);
    snprintf(rest, sizeof rest, "blobs/%s", etag ? etag : "?");
    repo_path(blob, sizeof blob, home, folder, rest);
    struct stat st;
    CHECK(lstat(blob, &st) == 0 && S_ISREG(st.st_mode));
    if (fixture_file) {
        char *fixture = fc_path_join(fixture_dir, fixture_file);
        CHECK(same_bytes(path, fixture));
        free(fixture);
    }
}

static int count_lines_with(const char *log, const char *a, const char *b) {
    int n = 0;
    for (const char *line = log; line && *line;) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);
        char buf[512];
        snprintf(buf, sizeof buf, "%.*s", (int)len, line);
        if (strstr(buf, a) && (!b || strstr(buf, b))) n++;
        line = end ? end + 1 : line + len;
    }
    return n;
}

static void test_pull_layout(void) {
    const char *home = use_home("layout");
    fake_hub_clear_log(hub);
    char *snapshot = NULL;
    fc_error err;
    int rc = fc_hub_pull("finecat-test/tiny", FC_HUB_PROGRESS_QUIET, &snapshot, &err);
    CHECK(rc == 0);
    if (rc != 0) fprintf(stderr, "  %s\n", err.message);
    char want[512];
    snprintf(want, sizeof want, "%s/hub/models--finecat-test--tiny/snapshots/%s", home, FAKE_HUB_COMMIT);
    CHECK(snapshot && strcmp(snapshot, want) == 0);
    const char *folder = "models--finecat-test--tiny";
    char path[512];
    repo_path(path, sizeof path, home, folder, "refs/main");
    char *ref = read_text(path);
    CHECK(strcmp(ref, FAKE_HUB_COMMIT) == 0); // no newline, as huggingface_hub writes it
    free(ref);
    // LFS files by sha256, git files by blob sha1.
    check_link(home, folder, "model.safetensors", fake_hub_sha256(hub, "model.safetensors"), "model.safetensors");
    check_link(home, folder, "config.json", fake_hub_git_sha1(hub, "config.json"), "config.json");
    check_link(home, folder, "tokenizer.json", fake_hub_git_sha1(hub, "tokenizer.json"), "tokenizer.json");
    check_link(home, folder, "tokenizer_config.json", fake_hub_git_sha1(hub, "tokenizer_config.json"), NULL);
    check_link(home, folder, "special_tokens_map.json", fake_hub_git_sha1(hub, "special_tokens_map.json"), NULL);
    snprintf(path, sizeof path, "%s/hub/CACHEDIR.TAG", home);
    char *tag = read_text(path);
    CHECK(strncmp(tag, "Signature: 8a477f597d28d172789f06886806bc55\n", 44) == 0);
    free(tag);
    char incomplete[512], rest[160];
    snprintf(rest, sizeof rest, "blobs/%s.incomplete", fake_hub_sha256(hub, "model.safetensors"));
    repo_path(incomplete, sizeof incomplete, home, folder, rest);
    CHECK(access(incomplete, F_OK) != 0);

    char *log = fake_hub_log(hub);
    // The listing, one HEAD a file, the LFS content from the CDN path the redirect named.
    CHECK(count_lines_with(log, "GET /api/models/finecat-test/tiny/revision/main", NULL) == 1);
    CHECK(count_lines_with(log, "HEAD /finecat-test/tiny/resolve/" FAKE_HUB_COMMIT "/", NULL) == 5);
    CHECK(count_lines_with(log, "GET /cdn/tiny/", fake_hub_sha256(hub, "model.safetensors")) == 1);
    CHECK(count_lines_with(log, "GET /finecat-test/tiny/resolve/" FAKE_HUB_COMMIT "/config.json", NULL) == 1);
    CHECK(!contains(log, "README.md") && !contains(log, "pytorch_model.bin") && !contains(log, "onnx"));
    free(log);

    // The model loads by its hub id from the cache, without asking the hub anything.
    fake_hub_clear_log(hub);
    fc_model *model = NULL;
    rc = fc_model_load("finecat-test/tiny", &model, &err);
    CHECK(rc == 0);
    if (rc != 0) fprintf(stderr, "  %s\n", err.message);
    if (model) CHECK(fc_model_num_labels(model) == 3);
    fc_model_free(model);
    char *dir = NULL;
    CHECK(fc_model_path_resolve("finecat-test/tiny", &dir, &err) == 0 && dir && strcmp(dir, want) == 0);
    free(dir);
    log = fake_hub_log(hub);
    CHECK(log[0] == '\0');
    free(log);

    // Pulling again asks for the listing only: every file is in the snapshot already.
    fake_hub_clear_log(hub);
    char *again = NULL;
    CHECK(fc_hub_pull("finecat-test/tiny", FC_HUB_PROGRESS_QUIET, &again, &err) == 0);
    CHECK(again && snapshot && strcmp(again, snapshot) == 0);
    log = fake_hub_log(hub);
    CHECK(count_lines_with(log, "GET /api/", NULL) == 1 && count_lines_with(log, "HEAD", NULL) == 0 &&
          count_lines_with(log, "/cdn/", NULL) == 0);
    free(log);
    free(again);

    // A tag at the same commit: a new ref, the same blobs, nothing downloaded.
    fake_hub_clear_log(hub);
    CHECK(fc_hub_pull("finecat-test/tiny@v1", FC_HUB_PROGRESS_QUIET, &again, &err) == 0);
    repo_path(path, sizeof path, home, folder, "refs/v1");
    ref = read_text(path);
    CHECK(strcmp(ref, FAKE_HUB_COMMIT) == 0);
    free(ref);
    free(again);
    log = fake_hub_log(hub);
    CHECK(count_lines_with(log, "/cdn/", NULL) == 0);
    free(log);
    free(snapshot);
}

static void test_resume(void) {
    // A transfer cut short by the server: resumed at once with a Range header.
    const char *home = use_home("cut");
    fake_hub_clear_log(hub);
    char *snapshot = NULL;
    fc_error err;
    int rc = fc_hub_pull("finecat-test/cut-short", FC_HUB_PROGRESS_QUIET, &snapshot, &err);
    CHECK(rc == 0);
    if (rc != 0) fprintf(stderr, "  %s\n", err.message);
    char *log = fake_hub_log(hub);
    const char *sha = fake_hub_sha256(hub, "model.safetensors");
    char range[64];
    snprintf(range, sizeof range, "range=%d- ", FAKE_HUB_CUT);
    CHECK(count_lines_with(log, "GET /cdn/cut-short/", "range= ") == 1);
    CHECK(count_lines_with(log, "GET /cdn/cut-short/", range) == 1);
    free(log);
    check_link(home, "models--finecat-test--cut-short", "model.safetensors", sha, "model.safetensors");
    free(snapshot);

    // What an interrupted run left in blobs/<etag>.incomplete is kept and continued.
    home = use_home("partial");
    char blobs[512], incomplete[600];
    repo_path(blobs, sizeof blobs, home, "models--finecat-test--tiny", "blobs");
    char mkdir_command[640];
    snprintf(mkdir_command, sizeof mkdir_command, "mkdir -p '%s'", blobs);
    CHECK(system(mkdir_command) == 0);
    snprintf(incomplete, sizeof incomplete, "%s/%s.incomplete", blobs, sha);
    char *weights_path = fc_path_join(fixture_dir, "model.safetensors");
    char *weights = NULL;
    size_t size = 0;
    CHECK(fc_read_file(weights_path, &weights, &size, &err) == 0 && size > 1000);
    write_text(incomplete, weights, 1000);
    free(weights);
    free(weights_path);
    fake_hub_clear_log(hub);
    CHECK(fc_hub_pull("finecat-test/tiny", FC_HUB_PROGRESS_QUIET, &snapshot, &err) == 0);
    log = fake_hub_log(hub);
    CHECK(count_lines_with(log, "GET /cdn/tiny/", "range=1000- ") == 1);
    CHECK(count_lines_with(log, "GET /cdn/tiny/", NULL) == 1);
    free(log);
    check_link(home, "models--finecat-test--tiny", "model.safetensors", sha, "model.safetensors");
    CHECK(access(incomplete, F_OK) != 0);
    free(snapshot);
}

static void test_bad_sha(void) {
    const char *home = use_home("badsha");
    char *snapshot = NULL;
    fc_error err;
    CHECK(fc_hub_pull("finecat-test/bad-sha", FC_HUB_PROGRESS_QUIET, &snapshot, &err) != 0);
    CHECK(snapshot == NULL);
    CHECK(contains(err.message, "model.safetensors") && contains(err.message, "sha256") &&
          contains(err.message, "removed"));
    CHECK(contains(err.message, fake_hub_sha256(hub, "model.safetensors"))); // what came
    // Nothing wrong is kept, and no ref names the broken snapshot.
    char path[512];
    repo_path(path, sizeof path, home, "models--finecat-test--bad-sha", "refs/main");
    CHECK(access(path, F_OK) != 0);
    char rest[200];
    snprintf(rest, sizeof rest, "blobs/%s.incomplete", fake_hub_sha256(hub, "model.safetensors"));
    repo_path(path, sizeof path, home, "models--finecat-test--bad-sha", rest);
    CHECK(access(path, F_OK) != 0);
    snprintf(rest, sizeof rest, "snapshots/%s/model.safetensors", FAKE_HUB_COMMIT);
    repo_path(path, sizeof path, home, "models--finecat-test--bad-sha", rest);
    CHECK(access(path, F_OK) != 0);
}

static void test_errors(void) {
    use_home("errors");
    char *snapshot = NULL;
    fc_error err;
    CHECK(fc_hub_pull("finecat-test/no-such-model", FC_HUB_PROGRESS_QUIET, &snapshot, &err) != 0);
    CHECK(contains(err.message, "finecat-test/no-such-model") && contains(err.message, "repository not found"));
    CHECK(fc_hub_pull("finecat-test/tiny@no-such-branch", FC_HUB_PROGRESS_QUIET, &snapshot, &err) != 0);
    CHECK(contains(err.message, "revision 'no-such-branch' not found"));

    // Gated: refused without a token, with a message that says what to do; then accepted with
    // HF_TOKEN, and with the token file.
    CHECK(fc_hub_pull("finecat-test/gated", FC_HUB_PROGRESS_QUIET, &snapshot, &err) != 0);
    CHECK(contains(err.message, "gated") && contains(err.message, "HF_TOKEN"));
    setenv("HF_TOKEN", "hf_wrong", 1);
    CHECK(fc_hub_pull("finecat-test/gated", FC_HUB_PROGRESS_QUIET, &snapshot, &err) != 0);
    CHECK(contains(err.message, "refused"));
    setenv("HF_TOKEN", FAKE_HUB_TOKEN, 1);
    fake_hub_clear_log(hub);
    int rc = fc_hub_pull("finecat-test/gated", FC_HUB_PROGRESS_QUIET, &snapshot, &err);
    CHECK(rc == 0);
    if (rc != 0) fprintf(stderr, "  %s\n", err.message);
    free(snapshot);
    char *log = fake_hub_log(hub);
    CHECK(count_lines_with(log, "finecat-test/gated", "auth=no") == 0);
    CHECK(count_lines_with(log, "HEAD /finecat-test/gated/", "auth=yes") == 5);
    // The token stays on the hub: the CDN, another origin, does not get it.
    CHECK(count_lines_with(log, "GET /cdn/gated/", "auth=no") == 1);
    free(log);
    const char *home = use_home("token-file");
    char token_path[256];
    snprintf(token_path, sizeof token_path, "%s/token", home);
    write_text(token_path, FAKE_HUB_TOKEN "\n", strlen(FAKE_HUB_TOKEN) + 1);
    CHECK(fc_hub_pull("finecat-test/gated", FC_HUB_PROGRESS_QUIET, &snapshot, &err) == 0);
    free(snapshot);

    // Nobody listening.
    setenv("HF_ENDPOINT", "http://127.0.0.1:1", 1);
    CHECK(fc_hub_pull("finecat-test/tiny", FC_HUB_PROGRESS_QUIET, &snapshot, &err) != 0);
    CHECK(contains(err.message, "cannot reach the hub at http://127.0.0.1:1") &&
          contains(err.message, "network error"));
    setenv("HF_ENDPOINT", fake_hub_endpoint(hub), 1);
}

static void test_offline(void) {
    use_home("offline");
    char *dir = NULL;
    fc_error err;
    CHECK(fc_hub_pull("finecat-test/tiny", FC_HUB_PROGRESS_QUIET, &dir, &err) == 0);
    free(dir);
    setenv("HF_HUB_OFFLINE", "1", 1);
    fake_hub_clear_log(hub);
    // In the cache: found without the network, by branch, by tag and by commit.
    CHECK(fc_model_path_resolve("finecat-test/tiny", &dir, &err) == 0 && contains(dir, FAKE_HUB_COMMIT));
    free(dir);
    CHECK(fc_hub_pull("finecat-test/tiny@" FAKE_HUB_COMMIT, FC_HUB_PROGRESS_QUIET, &dir, &err) == 0);
    free(dir);
    // Not in the cache: a clear error, no request.
    CHECK(fc_model_path_resolve("finecat-test/tiny@v1", &dir, &err) != 0 && dir == NULL);
    CHECK(contains(err.message, "not in the cache") && contains(err.message, "HF_HUB_OFFLINE"));
    CHECK(fc_hub_pull("finecat-test/sharded", FC_HUB_PROGRESS_QUIET, &dir, &err) != 0);
    CHECK(contains(err.message, "finecat-test/sharded@main is not in the cache"));
    char *log = fake_hub_log(hub);
    CHECK(log[0] == '\0');
    free(log);
    unsetenv("HF_HUB_OFFLINE");
}

static void test_sharded(void) {
    const char *home = use_home("sharded");
    fc_model *model = NULL;
    fc_error err;
    // fc_model_load pulls what the cache lacks (quietly: the library prints nothing unasked).
    int rc = fc_model_load("finecat-test/sharded", &model, &err);
    CHECK(rc == 0);
    if (rc != 0) fprintf(stderr, "  %s\n", err.message);
    fc_model_free(model);
    const char *folder = "models--finecat-test--sharded";
    check_link(home, folder, FAKE_HUB_SHARD, fake_hub_sha256(hub, FAKE_HUB_SHARD), "model.safetensors");
    check_link(home, folder, "model.safetensors.index.json", fake_hub_git_sha1(hub, "model.safetensors.index.json"),
               NULL);
}

// ---------------------------------------------------------------------------------------------
// The program

typedef struct run_result {
    int status;
    char *out, *err;
} run_result;

static run_result run_finecat(const char *env, const char *args) {
    const char *bin = getenv("FINECAT_BIN") ? getenv("FINECAT_BIN") : "build/finecat";
    char out_path[128], err_path[128], command[2048];
    snprintf(out_path, sizeof out_path, "%s/stdout", temp_dir);
    snprintf(err_path, sizeof err_path, "%s/stderr", temp_dir);
    snprintf(command, sizeof command, "env %s %s %s </dev/null >%s 2>%s", env, bin, args, out_path, err_path);
    int raw = system(command);
    run_result r = {.status = raw != -1 && WIFEXITED(raw) ? WEXITSTATUS(raw) : -1,
                    .out = read_text(out_path),
                    .err = read_text(err_path)};
    return r;
}

static void run_result_free(run_result *r) {
    free(r->out);
    free(r->err);
}

static void test_program(void) {
    const char *bin = getenv("FINECAT_BIN") ? getenv("FINECAT_BIN") : "build/finecat";
    int have_binary = access(bin, X_OK) == 0;
    CHECK(have_binary);
    if (!have_binary) return;
    const char *home = use_home("program");
    char env[512];
    snprintf(env, sizeof env, "-u HF_TOKEN -u HF_HUB_CACHE -u HF_HUB_OFFLINE -u HF_HUB_DISABLE_PROGRESS_BARS HF_HOME='%s' HF_ENDPOINT='%s'", home,
             fake_hub_endpoint(hub));

    // --model with a hub id pulls (plain progress lines: stderr is no terminal), then runs.
    run_result r = run_finecat(env, "nli --model finecat-test/tiny@v1 'A man is playing a guitar.' "
                                    "'A person plays music.'");
    CHECK(r.status == 0);
    CHECK(contains(r.out, "entailment") && contains(r.out, "contradiction"));
    CHECK(contains(r.err, "model.safetensors: 2.0 MB") && contains(r.err, "MB/s"));
    if (r.status != 0) fprintf(stderr, "  %s", r.err);
    run_result_free(&r);

    // pull prints the snapshot folder on stdout, nothing on stderr with --quiet.
    r = run_finecat(env, "pull finecat-test/tiny --revision v1 --quiet");
    char want[512];
    snprintf(want, sizeof want, "%s/hub/models--finecat-test--tiny/snapshots/%s\n", home, FAKE_HUB_COMMIT);
    CHECK(r.status == 0 && strcmp(r.out, want) == 0 && r.err[0] == '\0');
    run_result_free(&r);
    r = run_finecat(env, "pull finecat-test/tiny");
    CHECK(r.status == 0 && strcmp(r.out, want) == 0);
    CHECK(contains(r.err, "config.json: in the cache"));
    run_result_free(&r);
    // huggingface_hub's switch for progress bars silences the download --model starts.
    char quiet_env[600];
    snprintf(quiet_env, sizeof quiet_env, "%s HF_HUB_DISABLE_PROGRESS_BARS=1", env);
    r = run_finecat(quiet_env, "tokenize --model finecat-test/sharded 'A man plays.'");
    CHECK(r.status == 0 && r.out[0] != '\0' && r.err[0] == '\0');
    run_result_free(&r);

    // Commands that read the folder's files themselves take a hub id too.
    char convert_args[512], converted[300];
    snprintf(converted, sizeof converted, "%s/converted", temp_dir);
    snprintf(convert_args, sizeof convert_args, "convert --model finecat-test/tiny --out '%s' --dtype f16", converted);
    r = run_finecat(env, convert_args);
    char *converted_weights = fc_path_join(converted, "model.safetensors");
    CHECK(r.status == 0 && fc_file_exists(converted_weights));
    free(converted_weights);
    run_result_free(&r);

    // Errors: a clear line and status 1; usage errors status 2.
    r = run_finecat(env, "pull finecat-test/no-such-model");
    CHECK(r.status == 1 && contains(r.err, "finecat pull: finecat-test/no-such-model: repository not found"));
    run_result_free(&r);
    r = run_finecat(env, "nli --model finecat-test/gated a b");
    CHECK(r.status == 1 && contains(r.err, "gated") && contains(r.err, "HF_TOKEN"));
    run_result_free(&r);
    r = run_finecat(env, "pull finecat-test/tiny@v1 --revision main");
    CHECK(r.status == 2 && contains(r.err, "give the revision once"));
    run_result_free(&r);
    r = run_finecat(env, "pull not-a-hub-id");
    CHECK(r.status == 2 && contains(r.err, "not a hub model id"));
    run_result_free(&r);

    // Offline: the cache answers; a miss says what to do.
    char offline_env[600];
    snprintf(offline_env, sizeof offline_env, "%s HF_HUB_OFFLINE=1", env);
    r = run_finecat(offline_env, "nli --model finecat-test/tiny 'A man is playing a guitar.' 'A person plays music.'");
    CHECK(r.status == 0 && contains(r.out, "entailment"));
    run_result_free(&r);
    r = run_finecat(offline_env, "nli --model finecat-test/gated a b");
    CHECK(r.status == 1 && contains(r.err, "not in the cache") && contains(r.err, "HF_HUB_OFFLINE"));
    run_result_free(&r);
}

void suite_hub(void) {
    snprintf(temp_dir, sizeof temp_dir, "/tmp/finecat_hub_XXXXXX");
    CHECK(mkdtemp(temp_dir) != NULL);
    snprintf(fixture_dir, sizeof fixture_dir, "%s/bert/bert-tiny", fc_test_fixtures_dir());
    test_ids();
    test_digests();
    test_selection();
    hub = fake_hub_start(fixture_dir);
    CHECK(hub != NULL);
    if (hub) {
        test_settings();
        test_pull_layout();
        test_resume();
        test_bad_sha();
        test_errors();
        test_offline();
        test_sharded();
        test_program();
        fake_hub_stop(hub);
        hub = NULL;
    }
    static const char *const vars[] = {"HF_HOME", "HF_ENDPOINT", "HF_TOKEN", "HF_HUB_OFFLINE", "HF_HUB_CACHE",
                                       "HF_HUB_DISABLE_PROGRESS_BARS"};
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++) unsetenv(vars[i]);
    char command[128];
    snprintf(command, sizeof command, "rm -rf '%s'", temp_dir);
    if (system(command) != 0) fprintf(stderr, "  could not remove %s\n", temp_dir);
}
