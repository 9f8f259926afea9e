// Tests of `finecat serve`, run as a user runs it: the real program (FINECAT_BIN, default
// build/finecat) on 127.0.0.1 with a free port and a fixture model, spoken to over HTTP with
// curl. Every endpoint against the library's own answers, every error status, concurrent
// clients getting the sequential answers, the bounded queue (429), and SIGTERM draining a
// request in flight and exiting 0. Every wait is bounded.
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
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

#include <cjson/cJSON.h>

#include "finecat.h"
#include "harness.h"
#include "serve_client.h"
#include "serve/request.h"
#include "tasks/check.h"
#include "tasks/result_json.h"
#include "util/file.h"

// The server batches pairs of concurrent requests together; results differ in rounding only.
static const double batching_tolerance = 1e-5;
// Zero-shot scores against transformers' pipeline (tests/fixtures/zeroshot/reference.json).
static const double reference_tolerance = 1e-4;

// ---------------------------------------------------------------------------------------------
// Endpoints against the library

static const char *premise = "A man is playing a guitar on stage.";
static const char *hypothesis = "A person is making music.";

static void test_status_endpoints(const server *s, fc_model *model) {
    http_result r = http(s, "GET", "/health", NULL, 0);
    CHECK(r.status == 200 && strcmp(r.body, "{\"status\":\"ok\"}") == 0);
    http_result_free(&r);
    r = http(s, "GET", "/info", NULL, 0);
    CHECK(r.status == 200);
    cJSON *info = cJSON_Parse(r.body);
    CHECK(cJSON_GetObjectItem(info, "max_input_length")->valueint == fc_model_max_length(model));
    CHECK(strcmp(cJSON_GetObjectItem(info, "version")->valuestring, FINECAT_VERSION) == 0);
    const cJSON *labels = cJSON_GetObjectItem(info, "labels");
    CHECK(cJSON_GetArraySize(labels) == fc_model_num_labels(model));
    for (int k = 0; k < fc_model_num_labels(model); k++)
        CHECK(strcmp(cJSON_GetArrayItem(labels, k)->valuestring, fc_model_label_name(model, k)) == 0);
    CHECK(strstr(cJSON_GetObjectItem(info, "model_dir")->valuestring, "tiny-mean") != NULL);
    cJSON_Delete(info);
    http_result_free(&r);
}

// The scores of one /predict pair, by label name, against the library's logits.
static void check_pair_scores(const cJSON *list, fc_model *model, const float *logits, int raw) {
    int n = fc_model_num_labels(model);
    float probs[16];
    if (raw)
        memcpy(probs, logits, (size_t)n * sizeof *probs);
    else
        fc_softmax(logits, n, probs);
    CHECK(cJSON_GetArraySize(list) == n);
    double previous = INFINITY;
    for (const cJSON *item = list ? list->child : NULL; item; item = item->next) {
        const char *label = cJSON_GetObjectItem(item, "label")->valuestring;
        double score = cJSON_GetObjectItem(item, "score")->valuedouble;
        CHECK(score <= previous); // sorted by descending score
        previous = score;
        for (int k = 0; k < n; k++)
            if (strcmp(fc_model_label_name(model, k), label) == 0)
                CHECK_CLOSE(score, probs[k], batching_tolerance);
    }
}

static void test_predict(const server *s, fc_model *model) {
    fc_pair pairs[3] = {{premise, hypothesis}, {"It rains.", "It is dry."}, {"Cats purr.", "Animals make sounds."}};
    float logits[9];
    fc_error err;
    CHECK(fc_nli_logits(model, pairs, 3, NULL, logits, &err) == 0);

    char body[1024];
    snprintf(body, sizeof body, "{\"inputs\": [\"%s\", \"%s\"]}", premise, hypothesis);
    http_result r = post(s, "/predict", body);
    CHECK(r.status == 200);
    cJSON *json = cJSON_Parse(r.body);
    CHECK(cJSON_IsArray(json) && cJSON_IsObject(json->child)); // one pair: one flat list
    check_pair_scores(json, model, logits, 0);
    cJSON_Delete(json);
    http_result_free(&r);

    snprintf(body, sizeof body, "{\"inputs\": [[\"%s\", \"%s\"], [\"It rains.\", \"It is dry.\"], "
             "[\"Cats purr.\", \"Animals make sounds.\"]], \"raw_scores\": true, \"truncate\": true}",
             premise, hypothesis);
    r = post(s, "/predict", body);
    CHECK(r.status == 200);
    json = cJSON_Parse(r.body);
    CHECK(cJSON_GetArraySize(json) == 3);
    for (int i = 0; i < 3; i++) check_pair_scores(cJSON_GetArrayItem(json, i), model, logits + 3 * i, 1);
    cJSON_Delete(json);
    http_result_free(&r);
}

static void test_zeroshot(const server *s) {
    char path[1024];
    snprintf(path, sizeof path, "%s/zeroshot/reference.json", fc_test_fixtures_dir());
    char *text;
    fc_error err;
    CHECK(fc_read_file(path, &text, NULL, &err) == 0);
    cJSON *reference = cJSON_Parse(text);
    free(text);
    const cJSON *cases = cJSON_GetObjectItem(
        cJSON_GetObjectItem(cJSON_GetObjectItem(reference, "models"), "tiny-mean"), "cases");
    // Every reference case of the short texts, as the inference API sends it.
    for (const cJSON *c = cases ? cases->child : NULL; c; c = c->next) {
        if (strcmp(cJSON_GetObjectItem(c, "name")->valuestring, "long_text") == 0) continue;
        cJSON *request = cJSON_CreateObject();
        const cJSON *texts = cJSON_GetObjectItem(c, "texts");
        int single = cJSON_GetArraySize(texts) == 1;
        cJSON_AddItemToObject(request, "inputs", single ? cJSON_Duplicate(texts->child, 1)
                                                        : cJSON_Duplicate(texts, 1));
        cJSON *parameters = cJSON_AddObjectToObject(request, "parameters");
        cJSON_AddItemToObject(parameters, "candidate_labels",
                              cJSON_Duplicate(cJSON_GetObjectItem(c, "labels"), 1));
        cJSON_AddBoolToObject(parameters, "multi_label",
                              cJSON_IsTrue(cJSON_GetObjectItem(c, "multi_label")));
        const cJSON *template = cJSON_GetObjectItem(c, "template");
        if (template) cJSON_AddStringToObject(parameters, "hypothesis_template", template->valuestring);
        char *body = cJSON_PrintUnformatted(request);
        http_result r = post(s, "/zero-shot", body);
        CHECK(r.status == 200);
        cJSON *got = cJSON_Parse(r.body);
        const cJSON *want = cJSON_GetObjectItem(c, "results");
        int same = json_close(got, single ? want->child : want, reference_tolerance);
        if (!same) fprintf(stderr, "  /zero-shot %s: %s\n", cJSON_GetObjectItem(c, "name")->valuestring, r.body);
        CHECK(same);
        cJSON_Delete(got);
        http_result_free(&r);
        free(body);
        cJSON_Delete(request);
    }
    cJSON_Delete(reference);
}

static const char *check_context =
    "The Eiffel Tower is a wrought-iron lattice tower in Paris, France. It was completed in 1889.";
static const char *check_answer = "The Eiffel Tower is in Paris. It was completed in 1889. It is made of wood.";

static char *check_body(void) {
    cJSON *request = cJSON_CreateObject();
    cJSON_AddStringToObject(request, "context", check_context);
    cJSON_AddStringToObject(request, "answer", check_answer);
    cJSON_AddNumberToObject(request, "support_threshold", 0.3);
    char *body = cJSON_PrintUnformatted(request);
    cJSON_Delete(request);
    return body;
}

static void test_check(const server *s, fc_model *model) {
    fc_check_options options = fc_check_default_options();
    options.support_threshold = 0.3f;
    fc_check_result result;
    fc_error err;
    CHECK(fc_check(model, check_context, check_answer, &options, &result, &err) == 0);
    fc_textbuf want = {0};
    fc_check_result_json(&want, check_answer, &result, &options);
    char *body = check_body();
    http_result r = post(s, "/check", body);
    CHECK(r.status == 200);
    cJSON *got_json = cJSON_Parse(r.body), *want_json = cJSON_Parse(fc_jsonbuf_cstr(&want));
    CHECK(json_close(got_json, want_json, batching_tolerance));
    CHECK(cJSON_GetArraySize(cJSON_GetObjectItem(got_json, "sentences")) == 3);
    cJSON_Delete(got_json);
    cJSON_Delete(want_json);
    http_result_free(&r);
    free(body);
    fc_textbuf_free(&want);
    fc_check_result_free(&result);
}

static void test_metrics(const server *s) {
    http_result r = http(s, "GET", "/metrics", NULL, 0);
    CHECK(r.status == 200);
    const char *wanted[] = {
        "finecat_requests_total{endpoint=\"/predict\",status=\"200\"}",
        "finecat_requests_total{endpoint=\"/zero-shot\",status=\"200\"}",
        "finecat_requests_total{endpoint=\"/check\",status=\"200\"}",
        "# TYPE finecat_batch_size histogram", "finecat_batch_size_bucket{le=\"+Inf\"}",
        "finecat_queue_seconds_count", "finecat_inference_seconds_sum", "finecat_tokens_total ",
        "finecat_requests_in_flight 0",
    };
    for (size_t i = 0; i < sizeof wanted / sizeof wanted[0]; i++) {
        int found = r.body && strstr(r.body, wanted[i]) != NULL;
        if (!found) fprintf(stderr, "  /metrics lacks %s\n", wanted[i]);
        CHECK(found);
    }
    const char *tokens = r.body ? strstr(r.body, "\nfinecat_tokens_total ") : NULL;
    CHECK(tokens && atol(tokens + strlen("\nfinecat_tokens_total ")) > 100);
    http_result_free(&r);
}

// ---------------------------------------------------------------------------------------------
// Errors: each with its status and error type, and the server still serving after them.

static void test_errors(const server *s) {
    expect_error(s, "POST", "/predict", "{\"inputs\": [\"a\", ", 400, "invalid_json");
    expect_error(s, "POST", "/predict", "{\"inputs\": [\"a\", \"b\"]} x", 400, "invalid_json");
    expect_error(s, "POST", "/predict", "", 400, "invalid_json");
    expect_error(s, "POST", "/predict", "{\"inputs\": [\"caf\xC3\", \"b\"]}", 400, "invalid_utf8");
    expect_error(s, "POST", "/zero-shot", "{\"inputs\": \"\xFF\"}", 400, "invalid_utf8");
    // Wrong types.
    expect_error(s, "POST", "/predict", "{\"inputs\": 5}", 422, "validation");
    expect_error(s, "POST", "/predict", "{\"inputs\": \"just a text\"}", 422, "validation");
    expect_error(s, "POST", "/predict", "{\"inputs\": [\"a\", 7]}", 422, "validation");
    expect_error(s, "POST", "/predict", "{\"inputs\": [[\"a\", \"b\"], [\"c\"]]}", 422, "validation");
    expect_error(s, "POST", "/predict", "{\"inputs\": [\"a\", \"b\"], \"raw_scores\": \"yes\"}", 422, "validation");
    expect_error(s, "POST", "/predict", "[[\"a\", \"b\"]]", 422, "validation");
    expect_error(s, "POST", "/zero-shot", "{\"inputs\": 3, \"parameters\": {\"candidate_labels\": [\"a\"]}}", 422, "validation");
    expect_error(s, "POST", "/zero-shot", "{\"inputs\": \"t\", \"parameters\": {\"candidate_labels\": [\"a\", 2]}}", 422, "validation");
    expect_error(s, "POST", "/zero-shot", "{\"inputs\": \"t\", \"parameters\": {\"candidate_labels\": [\"a\"], \"multi_label\": 1}}", 422, "validation");
    expect_error(s, "POST", "/check", "{\"context\": \"c\", \"answer\": \"A.\", \"support_threshold\": \"high\"}", 422, "validation");
    {   // 1e400 overflows to infinity: refused as such, not as "not a number" (issue 14).
        const char *body = "{\"context\": \"c\", \"answer\": \"A.\", \"support_threshold\": 1e400}";
        http_result r = http(s, "POST", "/check", body, strlen(body));
        check_error(&r, 422, "validation", body);
        CHECK(strstr(r.body, "finite") != NULL);
        http_result_free(&r);
    }
    {   // 1e300 is a finite double but no float: the threshold would overflow (found by fuzzing).
        const char *body = "{\"context\": \"c\", \"answer\": \"A.\", \"contradiction_threshold\": -1e300}";
        http_result r = http(s, "POST", "/check", body, strlen(body));
        check_error(&r, 422, "validation", body);
        CHECK(strstr(r.body, "overflows a float") != NULL);
        http_result_free(&r);
    }
    // Missing fields.
    expect_error(s, "POST", "/predict", "{}", 422, "validation");
    expect_error(s, "POST", "/zero-shot", "{\"inputs\": \"t\"}", 422, "validation");
    expect_error(s, "POST", "/zero-shot", "{\"inputs\": \"t\", \"parameters\": {}}", 422, "validation");
    expect_error(s, "POST", "/check", "{\"context\": \"c\"}", 422, "validation");
    // Empty lists and empty answers.
    expect_error(s, "POST", "/predict", "{\"inputs\": []}", 422, "validation");
    expect_error(s, "POST", "/zero-shot", "{\"inputs\": [], \"parameters\": {\"candidate_labels\": [\"a\"]}}", 422, "validation");
    expect_error(s, "POST", "/zero-shot", "{\"inputs\": \"t\", \"parameters\": {\"candidate_labels\": []}}", 422, "validation");
    expect_error(s, "POST", "/zero-shot", "{\"inputs\": \"t\", \"parameters\": {\"candidate_labels\": \" , ,\"}}", 422, "validation");
    expect_error(s, "POST", "/check", "{\"context\": \"c\", \"answer\": \"  \"}", 422, "validation");
    // A template without a placeholder, as the pipeline refuses it.
    expect_error(s, "POST", "/zero-shot", "{\"inputs\": \"t\", \"parameters\": {\"candidate_labels\": [\"a\"], \"hypothesis_template\": \"none\"}}", 422, "validation");

    // A body over --max-body-bytes (65536 here).
    size_t big_len = 70000;
    char *big = malloc(big_len);
    memset(big, ' ', big_len);
    memcpy(big, "{\"inputs\": [\"", 13);
    memcpy(big + big_len - 14, "\", \"b\"]}      ", 14);
    big[big_len - 1] = '\0';
    expect_error(s, "POST", "/predict", big, 413, "payload_too_large");
    free(big);
    // More pairs than --max-client-batch-size (16 here): 413, as text-embeddings-inference.
    char body[4096] = "{\"inputs\": [";
    for (int i = 0; i < 17; i++) strcat(body, i ? ", [\"a\", \"b\"]" : "[\"a\", \"b\"]");
    strcat(body, "]}");
    expect_error(s, "POST", "/predict", body, 413, "validation");
    const char *too_many = "{\"inputs\": [\"a\", \"b\", \"c\"], \"parameters\": "
                           "{\"candidate_labels\": \"u, v, w, x, y, z\"}}";
    expect_error(s, "POST", "/zero-shot", too_many, 413, "validation");
    char many_sentences[1024] = "{\"context\": \"c\", \"answer\": \"";
    for (int i = 0; i < 17; i++) sprintf(many_sentences + strlen(many_sentences), "It is %d. ", i);
    strcat(many_sentences, "\"}");
    expect_error(s, "POST", "/check", many_sentences, 413, "validation");

    // Over the model's max length (512): 413 without truncation, fine with it.
    size_t long_len = 40000;
    char *long_body = malloc(long_len + 200);
    strcpy(long_body, "{\"inputs\": [\"");
    size_t at = strlen(long_body);
    while (at + 200 < long_len) at += (size_t)sprintf(long_body + at, "word%zu ", at);
    strcpy(long_body + at, "\", \"b\"]}");
    expect_error(s, "POST", "/predict", long_body, 413, "validation");
    strcpy(long_body + at, "\", \"b\"], \"truncate\": true}");
    http_result r = post(s, "/predict", long_body);
    CHECK(r.status == 200);
    http_result_free(&r);
    free(long_body);

    // Routes and methods.
    expect_error(s, "GET", "/nowhere", NULL, 404, "not_found");
    expect_error(s, "POST", "/predict/extra", "{}", 404, "not_found");
    expect_error(s, "GET", "/predict", NULL, 405, "method_not_allowed");
    expect_error(s, "PUT", "/zero-shot", "{}", 405, "method_not_allowed");
    expect_error(s, "POST", "/health", "{}", 405, "method_not_allowed");
    expect_error(s, "DELETE", "/metrics", NULL, 405, "method_not_allowed");

    // Still serving.
    r = http(s, "GET", "/health", NULL, 0);
    CHECK(r.status == 200);
    http_result_free(&r);
    r = http(s, "GET", "/metrics", NULL, 0);
    CHECK(r.body && strstr(r.body, "finecat_errors_total{endpoint=\"/predict\",error_type=\"invalid_json\"} 3"));
    CHECK(r.body && strstr(r.body, "finecat_requests_total{endpoint=\"other\",status=\"404\"} 2"));
    http_result_free(&r);
}

// ---------------------------------------------------------------------------------------------
// Concurrency: 8 clients x 20 requests get what one client gets alone.

enum { N_CLIENTS = 8, REQUESTS_PER_CLIENT = 20, N_KINDS = 3 };

typedef struct client_job {
    const server *s;
    const char *paths[N_KINDS];
    const char *bodies[N_KINDS];
    cJSON *expected[N_KINDS];
    int client;
    int mismatches;
    int failures;
} client_job;

static void *client_main(void *arg) {
    client_job *job = arg;
    for (int i = 0; i < REQUESTS_PER_CLIENT; i++) {
        int kind = (i + job->client) % N_KINDS;
        http_result r = post(job->s, job->paths[kind], job->bodies[kind]);
        if (r.status != 200) {
            job->failures++;
        } else {
            cJSON *got = cJSON_Parse(r.body);
            if (!json_close(got, job->expected[kind], batching_tolerance)) job->mismatches++;
            cJSON_Delete(got);
        }
        http_result_free(&r);
    }
    return NULL;
}

static void test_concurrent_clients(const server *s) {
    client_job base = {.s = s, .paths = {"/predict", "/zero-shot", "/check"}};
    char predict[512];
    snprintf(predict, sizeof predict, "{\"inputs\": [[\"%s\", \"%s\"], [\"It rains.\", \"It is wet.\"]]}",
             premise, hypothesis);
    base.bodies[0] = predict;
    base.bodies[1] = "{\"inputs\": [\"The match went to extra time.\", \"Parliament passed the "
                     "budget.\"], \"parameters\": {\"candidate_labels\": [\"sports\", \"politics\", "
                     "\"science\"]}}";
    char *check = check_body();
    base.bodies[2] = check;
    for (int k = 0; k < N_KINDS; k++) { // sequential answers first
        http_result r = post(s, base.paths[k], base.bodies[k]);
        CHECK(r.status == 200);
        base.expected[k] = cJSON_Parse(r.body);
        http_result_free(&r);
    }
    client_job jobs[N_CLIENTS];
    pthread_t threads[N_CLIENTS];
    for (int c = 0; c < N_CLIENTS; c++) {
        jobs[c] = base;
        jobs[c].client = c;
        pthread_create(&threads[c], NULL, client_main, &jobs[c]);
    }
    int mismatches = 0, failures = 0;
    for (int c = 0; c < N_CLIENTS; c++) {
        pthread_join(threads[c], NULL);
        mismatches += jobs[c].mismatches;
        failures += jobs[c].failures;
    }
    if (mismatches || failures)
        fprintf(stderr, "  concurrent clients: %d failures, %d mismatches\n", failures, mismatches);
    CHECK(failures == 0);
    CHECK(mismatches == 0);
    // The worker merged requests: one request has at most 6 pairs, so a forward of more than
    // 8 holds pairs of several requests.
    http_result r = http(s, "GET", "/metrics", NULL, 0);
    const char *bucket = "finecat_batch_size_bucket{le=\"8\"} ", *count = "finecat_batch_size_count ";
    const char *at_bucket = r.body ? strstr(r.body, bucket) : NULL;
    const char *at_count = r.body ? strstr(r.body, count) : NULL;
    CHECK(at_bucket && at_count);
    if (at_bucket && at_count)
        CHECK(atol(at_count + strlen(count)) > atol(at_bucket + strlen(bucket)));
    http_result_free(&r);
    for (int k = 0; k < N_KINDS; k++) cJSON_Delete(base.expected[k]);
    free(check);
}

// ---------------------------------------------------------------------------------------------
// The bounded queue and the drain at SIGTERM, on a server that admits one request at a time.

typedef struct background_request {
    const server *s;
    const char *body;
    http_result result;
} background_request;

static void *background_main(void *arg) {
    background_request *b = arg;
    b->result = post(b->s, "/zero-shot", b->body);
    return NULL;
}

// A zero-shot request that keeps the worker busy for a while: a long text and many labels,
// one pair per forward (the server runs with --max-batch-tokens 16).
static char *heavy_body(int n_labels) {
    cJSON *request = cJSON_CreateObject();
    char text[8192] = "";
    for (int i = 0; i < 40; i++) strcat(text, "The quick brown fox jumps over the lazy dog. ");
    cJSON_AddStringToObject(request, "inputs", text);
    cJSON *parameters = cJSON_AddObjectToObject(request, "parameters");
    cJSON *labels = cJSON_AddArrayToObject(parameters, "candidate_labels");
    for (int i = 0; i < n_labels; i++) {
        char label[32];
        snprintf(label, sizeof label, "topic %d", i);
        cJSON_AddItemToArray(labels, cJSON_CreateString(label));
    }
    char *body = cJSON_PrintUnformatted(request);
    cJSON_Delete(request);
    return body;
}

// Waits (at most 10 s) until /metrics shows a request in flight.
static int wait_in_flight(const server *s) {
    double deadline = now_seconds() + 10.0;
    while (now_seconds() < deadline) {
        http_result r = http(s, "GET", "/metrics", NULL, 0);
        int busy = r.body && strstr(r.body, "finecat_requests_in_flight 1") != NULL;
        http_result_free(&r);
        if (busy) return 1;
        usleep(5000);
    }
    return 0;
}


static void test_queue_and_drain(const char *model_dir) {
    server s;
    const char *args[] = {"--max-concurrent-requests", "1", "--max-batch-tokens", "16",
                          "--max-client-batch-size", "4096", "--threads", "1", NULL};
    CHECK(server_start(&s, model_dir, args) == 0);
    if (!s.port) return;

    // 429 while one request is in: tried with heavier requests until the in-flight one is
    // slow enough to be caught (it always is on a machine that is not very fast).
    int saw_429 = 0;
    for (int labels = 16; labels <= 1024 && !saw_429; labels *= 4) {
        char *body = heavy_body(labels);
        background_request heavy = {.s = &s, .body = body};
        pthread_t thread;
        pthread_create(&thread, NULL, background_main, &heavy);
        if (wait_in_flight(&s)) {
            char predict[256];
            snprintf(predict, sizeof predict, "{\"inputs\": [\"%s\", \"%s\"]}", premise, hypothesis);
            http_result r = post(&s, "/predict", predict);
            if (r.status == 429) {
                saw_429 = 1;
                check_error(&r, 429, "overloaded", "second request while one is in flight");
            } else {
                CHECK(r.status == 200); // the heavy one finished first: try a heavier one
            }
            http_result_free(&r);
        }
        pthread_join(thread, NULL);
        CHECK(heavy.result.status == 200);
        http_result_free(&heavy.result);
        free(body);
    }
    CHECK(saw_429);
    http_result r = http(&s, "GET", "/health", NULL, 0);
    CHECK(r.status == 200);
    http_result_free(&r);

    // SIGTERM with a request in flight: it is answered, then the server exits 0.
    char *body = heavy_body(128);
    background_request heavy = {.s = &s, .body = body};
    pthread_t thread;
    pthread_create(&thread, NULL, background_main, &heavy);
    int keep_alive = connect_loopback(s.port);
    char reply[2048];
    CHECK(keep_alive >= 0 && raw_health(keep_alive, reply, sizeof reply) > 0 &&
          strstr(reply, "HTTP/1.1 200") != NULL);
    int caught = wait_in_flight(&s);
    CHECK(caught);
    kill(s.pid, SIGTERM);
    usleep(100000);
    // During the drain a new request on an open connection gets a 503 and the connection
    // is closed, so that kept-alive clients cannot hold the drain open.
    CHECK(raw_health(keep_alive, reply, sizeof reply) > 0 && strstr(reply, "HTTP/1.1 503") &&
          strstr(reply, "\"unavailable\"") && strcasestr(reply, "Connection: close"));
    close(keep_alive);
    int status = server_stop(&s, SIGTERM, 60.0);
    pthread_join(thread, NULL);
    if (status != 0 || heavy.result.status != 200)
        fprintf(stderr, "  drain: exit status %d, in-flight request answered %d %.200s\n", status,
                heavy.result.status, heavy.result.body ? heavy.result.body : "");
    CHECK(status == 0);
    CHECK(heavy.result.status == 200);
    cJSON *json = cJSON_Parse(heavy.result.body ? heavy.result.body : "");
    CHECK(cJSON_GetArraySize(cJSON_GetObjectItem(json, "labels")) == 128);
    cJSON_Delete(json);
    http_result_free(&heavy.result);
    free(body);
    // Nothing listens any more.
    r = http(&s, "GET", "/health", NULL, 0);
    CHECK(r.status == 0);
    http_result_free(&r);
}


// ---------------------------------------------------------------------------------------------
// The body parsers on mutated bodies (in process, so that the sanitizers see them): every
// outcome is a request or a 4xx reply whose body is a JSON error.

static unsigned fuzz_state = 12345u;
static unsigned fuzz_next(void) { // xorshift32: deterministic, no libc rand state
    fuzz_state ^= fuzz_state << 13;
    fuzz_state ^= fuzz_state >> 17;
    fuzz_state ^= fuzz_state << 5;
    return fuzz_state;
}

// 1 when the outcome is a request, or a 4xx reply with a JSON error body.
static int parse_outcome_ok(int status, const fc_reply *reply) {
    if (status == 0) return 1;
    cJSON *json = cJSON_ParseWithLength(reply->body.data, reply->body.len);
    int ok = reply->status >= 400 && reply->status < 500 && json &&
             cJSON_IsString(cJSON_GetObjectItem(json, "error"));
    cJSON_Delete(json);
    return ok;
}

static void test_parsers_fuzz(void) {
    const char *seeds[] = {
        "{\"inputs\": [[\"A man plays.\", \"Music.\"], [\"x\", \"y\"]], \"raw_scores\": true}",
        ("{\"inputs\": [\"t\", \"u\"], \"parameters\": {\"candidate_labels\": \"a, b\", "
         "\"multi_label\": false, \"hypothesis_template\": \"Is {}.\"}}"),
        "{\"context\": \"The sky is blue.\", \"answer\": \"It is blue.\", \"support_threshold\": 0.4}",
    };
    const char alphabet[] = "{}[]\",:\\ 0123456789.-eEtrufalsn\xC3\xA9\xFF\x00u";
    int bad_rounds = 0, parsed = 0;
    for (int round = 0; round < 3000; round++) {
        const char *seed = seeds[round % 3];
        size_t len = strlen(seed);
        char body[512];
        memcpy(body, seed, len);
        int edits = 1 + (int)(fuzz_next() % 4);
        for (int e = 0; e < edits; e++) {
            size_t at = fuzz_next() % len;
            switch (fuzz_next() % 3) {
            case 0: body[at] = alphabet[fuzz_next() % (sizeof alphabet - 1)]; break; // replace
            case 1: memmove(body + at, body + at + 1, len - at - 1); len--; break;     // delete
            default:                                                                 // insert
                if (len + 1 < sizeof body) {
                    memmove(body + at + 1, body + at, len - at);
                    body[at] = alphabet[fuzz_next() % (sizeof alphabet - 1)];
                    len++;
                }
            }
        }
        fc_reply reply = {0};
        fc_predict_request predict;
        fc_zeroshot_request zeroshot;
        fc_check_request check;
        int status = fc_parse_predict(body, len, 8, &predict, &reply);
        int ok = parse_outcome_ok(status, &reply);
        parsed += status == 0;
        fc_predict_request_free(&predict);
        status = fc_parse_zeroshot(body, len, 8, &zeroshot, &reply);
        ok &= parse_outcome_ok(status, &reply);
        parsed += status == 0;
        fc_zeroshot_request_free(&zeroshot);
        status = fc_parse_check(body, len, &check, &reply);
        ok &= parse_outcome_ok(status, &reply);
        parsed += status == 0;
        fc_check_request_free(&check);
        fc_reply_free(&reply);
        if (!ok && bad_rounds++ == 0)
            fprintf(stderr, "  parser fuzz round %d: body %.*s\n", round, (int)len, body);
    }
    CHECK(bad_rounds == 0);
    CHECK(parsed > 100); // the mutations leave many bodies valid, so both paths run
}

void serve_limits_tests(const char *model_dir); // test_serve_limits.c
void serve_routes_tests(const server *s, fc_model *model); // test_serve_routes.c
void serve_log_tests(const char *model_dir);
void serve_info_labels_test(const char *model_dir);

void suite_serve(void) {
    test_parsers_fuzz();
    char model_dir[1024];
    snprintf(model_dir, sizeof model_dir, "%s/modernbert/tiny-mean", fc_test_fixtures_dir());
    fc_model *model = NULL;
    fc_error err;
    CHECK(fc_model_load(model_dir, &model, &err) == 0);
    if (!model) return;
    server s;
    const char *args[] = {"--max-body-bytes", "65536", "--max-client-batch-size", "16",
                          "--max-concurrent-requests", "64", "--threads", "1", NULL};
    int started = server_start(&s, model_dir, args) == 0;
    CHECK(started);
    if (started) {
        test_status_endpoints(&s, model);
        test_predict(&s, model);
        test_zeroshot(&s);
        test_check(&s, model);
        test_metrics(&s);
        test_errors(&s);
        test_concurrent_clients(&s);
        serve_routes_tests(&s, model);
        CHECK(server_stop(&s, SIGTERM, 30.0) == 0);
    }
    fc_model_free(model);
    test_queue_and_drain(model_dir);
    serve_log_tests(model_dir);
    char cls_dir[1024];
    snprintf(cls_dir, sizeof cls_dir, "%s/modernbert/tiny-cls", fc_test_fixtures_dir());
    serve_info_labels_test(cls_dir);
    serve_limits_tests(model_dir);
}
