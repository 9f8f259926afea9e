// The text-embeddings-inference-shaped details of `finecat serve` (issue 16): /info's model
// fields, /rerank and /tokenize against the library, /openapi.json against the routes the
// server dispatches, 422 for unknown fields on every route, the request log, and the 503 of
// a forward that ran out of memory.
#include <ctype.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "finecat.h"
#include "harness.h"
#include "serve/handlers.h"
#include "serve/server.h"
#include "serve_client.h"

void serve_routes_tests(const server *s, fc_model *model);
void serve_log_tests(const char *model_dir);
void serve_info_labels_test(const char *model_dir);

static void test_info(const server *s, fc_model *model) {
    http_result r = http(s, "GET", "/info", NULL, 0);
    CHECK(r.status == 200);
    cJSON *info = cJSON_Parse(r.body ? r.body : "");
    // The model folder's name.
    const cJSON *id = cJSON_GetObjectItem(info, "model_id");
    CHECK(cJSON_IsString(id) && strcmp(id->valuestring, "tiny-mean") == 0);
    const cJSON *dtype = cJSON_GetObjectItem(info, "model_dtype");
    CHECK(cJSON_IsString(dtype) && strcmp(dtype->valuestring, "float32") == 0);
    const cJSON *arch = cJSON_GetObjectItem(info, "architecture");
    CHECK(cJSON_IsString(arch) && strcmp(arch->valuestring, "modernbert") == 0);
    const cJSON *classifier = cJSON_GetObjectItem(cJSON_GetObjectItem(info, "model_type"), "classifier");
    const cJSON *maps[] = {cJSON_GetObjectItem(classifier, "id2label"), cJSON_GetObjectItem(info, "id2label")};
    for (int m = 0; m < 2; m++) {
        CHECK(cJSON_GetArraySize(maps[m]) == fc_model_num_labels(model));
        for (int k = 0; k < fc_model_num_labels(model); k++) {
            char key[16];
            snprintf(key, sizeof key, "%d", k);
            const cJSON *name = cJSON_GetObjectItem(maps[m], key);
            CHECK(cJSON_IsString(name) && strcmp(name->valuestring, fc_model_label_name(model, k)) == 0);
        }
    }
    const cJSON *label2id = cJSON_GetObjectItem(cJSON_GetObjectItem(info, "label2id"),
                                                fc_model_label_name(model, 0));
    CHECK(cJSON_IsNumber(label2id) && label2id->valueint == 0);
    CHECK(cJSON_GetObjectItem(info, "max_input_length")->valueint == fc_model_max_length(model));
    CHECK(cJSON_GetObjectItem(info, "max_connections") != NULL);
    cJSON_Delete(info);
    http_result_free(&r);
}

static const char *query = "A person is making music.";
static const char *texts[] = {"A man is playing a guitar on stage.", "It rains in the city.",
                              "Cats sleep most of the day.", "A woman sings a song."};
enum { N_TEXTS = 4 };

// /rerank against the library: score = entailment probability (or logit) of (text, query).
static void test_rerank(const server *s, fc_model *model) {
    fc_pair pairs[N_TEXTS];
    for (int i = 0; i < N_TEXTS; i++) pairs[i] = (fc_pair){texts[i], query};
    int n_labels = fc_model_num_labels(model), entailment = fc_model_entailment_id(model);
    float logits[N_TEXTS * 8], probs[8];
    fc_error err;
    CHECK(n_labels <= 8 && fc_nli_logits(model, pairs, N_TEXTS, NULL, logits, &err) == 0);
    for (int raw = 0; raw <= 1; raw++) {
        char body[1024];
        snprintf(body, sizeof body, "{\"query\": \"%s\", \"texts\": [\"%s\", \"%s\", \"%s\", \"%s\"], "
                 "\"raw_scores\": %s, \"return_text\": %s, \"truncate\": false}", query, texts[0],
                 texts[1], texts[2], texts[3], raw ? "true" : "false", raw ? "false" : "true");
        http_result r = post(s, "/rerank", body);
        CHECK(r.status == 200);
        cJSON *json = cJSON_Parse(r.body ? r.body : "");
        CHECK(cJSON_GetArraySize(json) == N_TEXTS);
        double previous = INFINITY;
        int seen[N_TEXTS] = {0};
        for (const cJSON *item = json ? json->child : NULL; item; item = item->next) {
            int index = cJSON_GetObjectItem(item, "index")->valueint;
            double score = cJSON_GetObjectItem(item, "score")->valuedouble;
            CHECK(index >= 0 && index < N_TEXTS && !seen[index]);
            if (index < 0 || index >= N_TEXTS) continue;
            seen[index] = 1;
            CHECK(score <= previous); // by descending score
            previous = score;
            fc_softmax(logits + index * n_labels, n_labels, probs);
            double want = raw ? logits[index * n_labels + entailment] : probs[entailment];
            CHECK_CLOSE(score, want, 1e-5);
            const cJSON *text = cJSON_GetObjectItem(item, "text");
            CHECK(raw ? text == NULL : (cJSON_IsString(text) && strcmp(text->valuestring, texts[index]) == 0));
        }
        cJSON_Delete(json);
        http_result_free(&r);
    }
    expect_error(s, "POST", "/rerank", "{\"query\": \"q\", \"texts\": []}", 422, "validation");
    expect_error(s, "POST", "/rerank", "{\"texts\": [\"a\"]}", 422, "validation");
    expect_error(s, "POST", "/rerank", "{\"query\": \"q\", \"texts\": [\"a\", 3]}", 422, "validation");
    expect_error(s, "POST", "/rerank", "{\"query\": \"q\", \"texts\": [\"a\"], \"truncation_direction\": \"Left\"}", 422, "validation");
    char many[1024] = "{\"query\": \"q\", \"texts\": [";
    for (int i = 0; i < 17; i++) strcat(many, i ? ", \"t\"" : "\"t\"");
    strcat(many, "]}");
    expect_error(s, "POST", "/rerank", many, 413, "validation"); // --max-client-batch-size 16
}

// /tokenize against the tokenizer: the ids, the special tokens around the content, and each
// content token's text equal to the input between its offsets.
static void test_tokenize(const server *s, fc_model *model) {
    const char *text = "Hello world, it rains!";
    const fc_tokenizer *tok = fc_model_tokenizer(model);
    fc_ids content = {0}, full = {0};
    fc_error err;
    CHECK(fc_tokenizer_encode(tok, text, strlen(text), &content, &err) == 0);
    CHECK(fc_tokenizer_encode_pair(tok, text, NULL, 0, FC_TRUNCATE_NONE, &full, &err) == 0);
    for (int special = 1; special >= 0; special--) {
        char body[256];
        snprintf(body, sizeof body, "{\"inputs\": [\"%s\", \"x\"], \"add_special_tokens\": %s}",
                 text, special ? "true" : "false");
        http_result r = post(s, "/tokenize", body);
        CHECK(r.status == 200);
        cJSON *json = cJSON_Parse(r.body ? r.body : "");
        CHECK(cJSON_GetArraySize(json) == 2);
        const cJSON *tokens = cJSON_GetArrayItem(json, 0);
        const fc_ids *want = special ? &full : &content;
        CHECK((size_t)cJSON_GetArraySize(tokens) == want->len);
        size_t i = 0, aligned = 0;
        for (const cJSON *t = tokens ? tokens->child : NULL; t && i < want->len; t = t->next, i++) {
            CHECK(cJSON_GetObjectItem(t, "id")->valueint == want->ids[i]);
            int is_special = cJSON_IsTrue(cJSON_GetObjectItem(t, "special"));
            CHECK(is_special == (special && (i == 0 || i + 1 == want->len)));
            const cJSON *start = cJSON_GetObjectItem(t, "start"), *stop = cJSON_GetObjectItem(t, "stop");
            const char *token_text = cJSON_GetObjectItem(t, "text")->valuestring;
            if (cJSON_IsNumber(start) && cJSON_IsNumber(stop)) {
                aligned++;
                size_t a = (size_t)start->valueint, b = (size_t)stop->valueint;
                CHECK(a < b && b <= strlen(text) && strlen(token_text) == b - a &&
                      strncmp(text + a, token_text, b - a) == 0);
            } else {
                CHECK(cJSON_IsNull(start) && cJSON_IsNull(stop));
            }
        }
        CHECK(aligned == content.len); // plain ASCII: every content token is found
        cJSON_Delete(json);
        http_result_free(&r);
    }
    http_result r = post(s, "/tokenize", "{\"inputs\": \"x\"}"); // one string: still a list of lists
    cJSON *json = cJSON_Parse(r.body ? r.body : "");
    CHECK(r.status == 200 && cJSON_IsArray(json) && cJSON_IsArray(cJSON_GetArrayItem(json, 0)));
    cJSON_Delete(json);
    http_result_free(&r);
    expect_error(s, "POST", "/tokenize", "{\"inputs\": 5}", 422, "validation");
    expect_error(s, "POST", "/tokenize", "{\"inputs\": \"x\", \"add_special_tokens\": 1}", 422, "validation");
    fc_ids_free(&content);
    fc_ids_free(&full);
}

// Every route the server dispatches is in the document with its method, and every path in
// the document is served.
static void test_openapi(const server *s) {
    http_result r = http(s, "GET", "/openapi.json", NULL, 0);
    CHECK(r.status == 200);
    cJSON *doc = cJSON_Parse(r.body ? r.body : "");
    CHECK(doc != NULL);
    const cJSON *paths = cJSON_GetObjectItem(doc, "paths");
    size_t n_routes = 0;
    const char *method;
    for (const char *path; (path = fc_server_route(n_routes, &method)); n_routes++) {
        char lower[8];
        size_t k = 0;
        for (; method[k] && k + 1 < sizeof lower; k++) lower[k] = (char)tolower((unsigned char)method[k]);
        lower[k] = '\0';
        int found = cJSON_GetObjectItem(cJSON_GetObjectItem(paths, path), lower) != NULL;
        if (!found) fprintf(stderr, "  /openapi.json lacks %s %s\n", method, path);
        CHECK(found);
    }
    CHECK(n_routes == 9);
    const cJSON *version = cJSON_GetObjectItem(cJSON_GetObjectItem(doc, "info"), "version");
    CHECK(cJSON_IsString(version) && strcmp(version->valuestring, FINECAT_VERSION) == 0);
    CHECK((size_t)cJSON_GetArraySize(paths) == n_routes);
    for (const cJSON *p = paths ? paths->child : NULL; p; p = p->next) {
        size_t i = 0;
        const char *path;
        while ((path = fc_server_route(i, &method)) && strcmp(path, p->string) != 0) i++;
        if (!path) fprintf(stderr, "  /openapi.json names %s, which is not served\n", p->string);
        CHECK(path != NULL);
    }
    cJSON_Delete(doc);
    http_result_free(&r);
}

// An unknown field is a 422 whose message names it, on every route.
static void test_unknown_fields(const server *s) {
    static const struct {
        const char *path;
        const char *body;
        const char *field;
    } cases[] = {
        {"/predict", "{\"inputs\": [\"a\", \"b\"], \"raw_score\": true}", "raw_score"},
        {"/zero-shot", "{\"inputs\": \"t\", \"parameters\": {\"candidate_labels\": [\"a\"]}, \"options\": {}}", "options"},
        {"/zero-shot", "{\"inputs\": \"t\", \"parameters\": {\"candidate_labels\": [\"a\"], \"multilabel\": true}}", "parameters.multilabel"},
        {"/check", "{\"context\": \"c\", \"answer\": \"A.\", \"threshold\": 0.5}", "threshold"},
        {"/rerank", "{\"query\": \"q\", \"texts\": [\"a\"], \"top_n\": 1}", "top_n"},
        {"/tokenize", "{\"inputs\": \"x\", \"prompt_name\": null}", "prompt_name"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        http_result r = post(s, cases[i].path, cases[i].body);
        check_error(&r, 422, "validation", cases[i].body);
        char quoted[64];
        snprintf(quoted, sizeof quoted, "\\\"%s\\\"", cases[i].field);
        CHECK(r.body && strstr(r.body, quoted));
        http_result_free(&r);
    }
    const char *gets[] = {"/health?verbose=1", "/info?verbose=1", "/openapi.json?verbose=1",
                          "/metrics?verbose=1"};
    for (size_t i = 0; i < sizeof gets / sizeof gets[0]; i++) {
        http_result r = http(s, "GET", gets[i], NULL, 0);
        check_error(&r, 422, "validation", gets[i]);
        CHECK(r.body && strstr(r.body, "\\\"verbose\\\""));
        http_result_free(&r);
    }
}

// The reply of a failed forward: 503 for out of memory, 500 otherwise (in process).
static void test_inference_failure_replies(void) {
    fc_reply reply = {0};
    fc_error err;
    snprintf(err.message, sizeof err.message, "forward: out of memory (12 MiB for the activations)");
    fc_reply_inference_failed(&reply, &err);
    CHECK(reply.status == 503 && strcmp(reply.error_type, "out_of_memory") == 0);
    snprintf(err.message, sizeof err.message, "forward: a kernel failed");
    fc_reply_inference_failed(&reply, &err);
    CHECK(reply.status == 500 && strcmp(reply.error_type, "backend") == 0);
    fc_reply_free(&reply);
}

void serve_routes_tests(const server *s, fc_model *model) {
    test_info(s, model);
    test_rerank(s, model);
    test_tokenize(s, model);
    test_openapi(s);
    test_unknown_fields(s);
    test_inference_failure_replies();
}

// canonical_labels maps a model's own label names to finecat's: on the tiny-cls fixture
// (id2label in capitals) they differ from labels.
void serve_info_labels_test(const char *model_dir) {
    server s;
    const char *args[] = {"--threads", "1", NULL};
    CHECK(server_start(&s, model_dir, args) == 0);
    if (!s.port) return;
    http_result r = http(&s, "GET", "/info", NULL, 0);
    cJSON *info = cJSON_Parse(r.body ? r.body : "");
    const cJSON *labels = cJSON_GetObjectItem(info, "labels");
    const cJSON *canonical = cJSON_GetObjectItem(info, "canonical_labels");
    CHECK(cJSON_GetArraySize(labels) == 3 && cJSON_GetArraySize(canonical) == 3);
    for (int k = 0; k < cJSON_GetArraySize(labels); k++) {
        const char *own = cJSON_GetArrayItem(labels, k)->valuestring;
        const char *name = cJSON_GetArrayItem(canonical, k)->valuestring;
        CHECK(strcasecmp(own, name) == 0 && strcmp(own, name) != 0); // "ENTAILMENT" -> "entailment"
    }
    cJSON_Delete(info);
    http_result_free(&r);
    CHECK(server_stop(&s, SIGTERM, 30.0) == 0);
}

// Reads the server's standard error (at most 5 s) until it holds n lines after the
// "listening on" line; the lines are in out.
static int read_log_lines(const server *s, int n, char *out, size_t size) {
    size_t len = 0;
    int lines = 0;
    double deadline = now_seconds() + 5.0;
    while (lines < n && len + 1 < size && now_seconds() < deadline) {
        struct pollfd p = {.fd = s->stderr_fd, .events = POLLIN};
        if (poll(&p, 1, 100) <= 0) continue;
        ssize_t got = read(s->stderr_fd, out + len, 1);
        if (got <= 0) break;
        if (out[len] == '\n') lines++;
        len++;
    }
    out[len] = '\0';
    return lines;
}

// One line per request, in both formats, with method, route, status and milliseconds.
void serve_log_tests(const char *model_dir) {
    for (int json = 0; json <= 1; json++) {
        server s;
        const char *args[] = {"--log-format", json ? "json" : "text", "--threads", "1", NULL};
        CHECK(server_start(&s, model_dir, args) == 0);
        if (!s.port) continue;
        http_result r = http(&s, "GET", "/health", NULL, 0);
        http_result_free(&r);
        r = post(&s, "/predict", "{}");
        http_result_free(&r);
        char log[4096];
        CHECK(read_log_lines(&s, 2, log, sizeof log) == 2);
        char *second = strchr(log, '\n');
        if (!second) continue;
        *second++ = '\0';
        if (json) {
            cJSON *a = cJSON_Parse(log), *b = cJSON_Parse(second);
            CHECK(a && strcmp(cJSON_GetObjectItem(a, "method")->valuestring, "GET") == 0 &&
                  strcmp(cJSON_GetObjectItem(a, "route")->valuestring, "/health") == 0 &&
                  cJSON_GetObjectItem(a, "status")->valueint == 200 &&
                  cJSON_IsNumber(cJSON_GetObjectItem(a, "ms")) &&
                  cJSON_IsString(cJSON_GetObjectItem(a, "time")));
            CHECK(b && strcmp(cJSON_GetObjectItem(b, "method")->valuestring, "POST") == 0 &&
                  strcmp(cJSON_GetObjectItem(b, "route")->valuestring, "/predict") == 0 &&
                  cJSON_GetObjectItem(b, "status")->valueint == 422);
            cJSON_Delete(a);
            cJSON_Delete(b);
        } else {
            if (!strstr(log, " GET /health 200 ")) fprintf(stderr, "  log line: %s\n", log);
            CHECK(strstr(log, " GET /health 200 ") && strstr(log, " ms"));
            CHECK(strstr(second, " POST /predict 422 ") && strstr(second, " ms"));
        }
        CHECK(server_stop(&s, SIGTERM, 30.0) == 0);
    }
}
