// Issue 14, reliability: texts holding \u0000 are refused, never cut short (request bodies, data
// files, the CLI's inputs, config files); and running out of memory on the main paths (model
// load, forward, the nli / zero-shot / check tasks, the server's endpoints) is an error that
// reaches the caller, shown by failing each fallible allocation in turn (fc_alloc_fail_after)
// with no crash and, under `make asan`, no leak.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../fuzz/fuzz.h"
#include "data/dataset.h"
#include "harness.h"
#include "io/json_fields.h"
#include "io/json_nul.h"
#include "serve/handlers.h"
#include "serve/request.h"
#include "util/alloc.h"
#include "util/error.h"
#include "util/file.h"

// ---------------------------------------------------------------------------------------------
// NUL in JSON strings

static void test_find_nul(void) {
    size_t at = 99;
    CHECK(fc_json_find_nul("\"a\\u0000b\"", 10, &at) == 1 && at == 2);
    CHECK(fc_json_find_nul("{\"k\": \"\\\\u0000\"}", 16, &at) == 0); // an escaped backslash, then text
    CHECK(fc_json_find_nul("\"\\\\\\u0000\"", 10, &at) == 1 && at == 3);
    CHECK(fc_json_find_nul("\"\\u00000\"", 9, &at) == 1 && at == 1);
    CHECK(fc_json_find_nul("\"\\u0001 \\u0100 \\n\"", 18, &at) == 0);
    CHECK(fc_json_find_nul("\"\\u000", 6, &at) == 0); // cut short: no NUL (and no valid JSON)
}

static int reply_says_nul(const fc_reply *reply) {
    char *body = fc_fuzz_cstring((const uint8_t *)reply->body.data, reply->body.len);
    int says = reply->status == 422 && strstr(body, "\\\\u0000") && strstr(body, "NUL");
    free(body);
    return says;
}

static void test_request_nul(void) {
    const char *predict = "{\"inputs\": [\"a\\u0000b\", \"c\"]}";
    fc_predict_request p;
    fc_reply reply = {0};
    CHECK(fc_parse_predict(predict, strlen(predict), 32, &p, &reply) != 0);
    CHECK(reply_says_nul(&reply));
    fc_predict_request_free(&p);
    const char *zeroshot =
        "{\"inputs\": \"x\", \"parameters\": {\"candidate_labels\": [\"sp\\u0000ort\"]}}";
    fc_zeroshot_request z;
    CHECK(fc_parse_zeroshot(zeroshot, strlen(zeroshot), 32, &z, &reply) != 0);
    CHECK(reply_says_nul(&reply));
    fc_zeroshot_request_free(&z);
    const char *check = "{\"context\": \"Paris.\", \"answer\": \"\\u0000\"}";
    fc_check_request c;
    CHECK(fc_parse_check(check, strlen(check), &c, &reply) != 0);
    CHECK(reply_says_nul(&reply));
    fc_check_request_free(&c);
    // An escaped backslash before u0000 is text, not a NUL: the body is fine.
    const char *fine = "{\"inputs\": [\"a\\\\u0000b\", \"c\"]}";
    CHECK(fc_parse_predict(fine, strlen(fine), 32, &p, &reply) == 0 && p.n_pairs == 1 &&
          strcmp(p.pairs[0].premise, "a\\u0000b") == 0);
    fc_predict_request_free(&p);
    fc_reply_free(&reply);
}

static void test_data_nul(void) {
    fc_fuzz_subdir("reliability");
    static const char rows[] =
        "{\"premise\": \"A man.\", \"hypothesis\": \"A person.\", \"label\": \"entailment\"}\n"
        "{\"premise\": \"A dog\\u0000 runs.\", \"hypothesis\": \"A cat.\", \"label\": \"neutral\"}\n";
    const char *path = fc_fuzz_write("reliability/train.jsonl", (const uint8_t *)rows, sizeof rows - 1);
    fc_dataset data;
    fc_error err = {{0}};
    CHECK(fc_dataset_read(path, FC_FORMAT_AUTO, NULL, &data, &err) != 0);
    CHECK(strstr(err.message, "train.jsonl:2:") && strstr(err.message, "\\u0000") &&
          strstr(err.message, "NUL"));
    fc_reader_options skip = fc_reader_default_options();
    skip.on_error = FC_ON_ERROR_SKIP;
    CHECK(fc_dataset_read(path, FC_FORMAT_AUTO, &skip, &data, &err) == 0);
    CHECK(data.count == 1 && data.counts.skipped[FC_SKIP_MALFORMED] == 1);
    fc_dataset_free(&data);

    // A raw NUL byte (no escape) in each kind of data file: a JSON line, a TSV field, a
    // SentEval line.
    static const char raw_jsonl[] = "{\"premise\": \"A man\0 plays.\", \"hypothesis\": \"A person.\"}\n";
    static const char raw_tsv[] = "premise\thypothesis\tlabel\nA man.\tA person.\tentailment\n"
                                  "A man\0 plays.\tA person.\tentailment\n";
    const char *raw[2][3] = {{"reliability/raw.jsonl", raw_jsonl, "raw.jsonl:1:"},
                             {"reliability/raw.tsv", raw_tsv, "raw.tsv:3:"}};
    size_t raw_sizes[2] = {sizeof raw_jsonl - 1, sizeof raw_tsv - 1};
    for (int i = 0; i < 2; i++) {
        path = fc_fuzz_write(raw[i][0], (const uint8_t *)raw[i][1], raw_sizes[i]);
        err.message[0] = '\0';
        CHECK(fc_dataset_read(path, FC_FORMAT_AUTO, NULL, &data, &err) != 0);
        CHECK(strstr(err.message, raw[i][2]) && strstr(err.message, "NUL byte"));
    }
    static const char s1[] = "A man plays.\nA dog\0 runs.\n", s2[] = "A person.\nA cat.\n",
                      labels[] = "entailment\nneutral\n";
    fc_fuzz_write("reliability/s1.dev", (const uint8_t *)s1, sizeof s1 - 1);
    fc_fuzz_write("reliability/s2.dev", (const uint8_t *)s2, sizeof s2 - 1);
    fc_fuzz_write("reliability/labels.dev", (const uint8_t *)labels, sizeof labels - 1);
    char prefix[1100];
    snprintf(prefix, sizeof prefix, "%s/reliability/dev", fc_fuzz_dir());
    CHECK(fc_dataset_read(prefix, FC_FORMAT_SENTEVAL, NULL, &data, &err) != 0);
    CHECK(strstr(err.message, "s1.dev") && strstr(err.message, "NUL byte"));

    static const char config[] = "{\"id2label\": {\"0\": \"entail\\u0000ment\"}}";
    path = fc_fuzz_write("reliability/config.json", (const uint8_t *)config, sizeof config - 1);
    cJSON *json = NULL;
    CHECK(fc_json_load_file(path, &json, &err) != 0 && json == NULL);
    CHECK(strstr(err.message, "config.json") && strstr(err.message, "\\u0000"));
    // Nor bytes that are not UTF-8: JSON text is UTF-8, and label names end up in replies.
    static const char latin1[] = "{\"id2label\": {\"0\": \"entailm\xe9nt\"}}";
    path = fc_fuzz_write("reliability/config.json", (const uint8_t *)latin1, sizeof latin1 - 1);
    CHECK(fc_json_load_file(path, &json, &err) != 0 && json == NULL);
    CHECK(strstr(err.message, "config.json: not valid UTF-8 (byte 27)") != NULL);
}

// The CLI names the file and the line of an input record that holds \u0000.
static void test_cli_nul(void) {
    const char *bin = getenv("FINECAT_BIN");
    if (!bin) bin = "build/finecat";
    static const char rows[] = "{\"premise\": \"a\", \"hypothesis\": \"b\"}\n"
                               "{\"premise\": \"a\\u0000b\", \"hypothesis\": \"c\"}\n";
    char input[1100], errors[1100], command[4096];
    snprintf(input, sizeof input, "%s", fc_fuzz_write("reliability/pairs.jsonl",
                                                       (const uint8_t *)rows, sizeof rows - 1));
    snprintf(errors, sizeof errors, "%s/reliability/stderr", fc_fuzz_dir());
    snprintf(command, sizeof command,
             "%s predict --model tests/fixtures/bert/bert-tiny --input %s >/dev/null 2>%s", bin,
             input, errors);
    int status = system(command);
    char *text = NULL;
    size_t size = 0;
    fc_error err;
    CHECK(status != 0 && fc_read_file(errors, &text, &size, &err) == 0);
    char where[1200];
    snprintf(where, sizeof where, "%s:2:", input);
    CHECK(text && strstr(text, where) && strstr(text, "\\u0000"));
    free(text);
}

// A tokenizer.json that is not UTF-8 is refused at load: its vocabulary tokens were decoded as
// UTF-8 and one that ended in a cut sequence was read past its end (a fuzz finding, issue 14).
static void test_tokenizer_invalid_utf8(void) {
    char *json = NULL;
    size_t size = 0;
    fc_error err = {{0}};
    const char *input = "tests/fixtures/fuzz/tokenizer_json/vocab_token_cut_utf8.json";
    if (fc_read_file(input, &json, &size, &err) != 0) {
        CHECK(!"the fuzz regression input is readable");
        return;
    }
    fc_fuzz_subdir("reliability_tokenizer");
    fc_fuzz_write("reliability_tokenizer/tokenizer.json", (const uint8_t *)json, size);
    free(json);
    char dir[1100];
    snprintf(dir, sizeof dir, "%s/reliability_tokenizer", fc_fuzz_dir());
    fc_tokenizer *tok = NULL;
    CHECK(fc_tokenizer_load(dir, &tok, &err) != 0 && tok == NULL);
    CHECK(strstr(err.message, "tokenizer.json: not valid UTF-8 (byte 1206)") != NULL);
    fc_tokenizer_free(tok);
}

// ---------------------------------------------------------------------------------------------
// Out of memory

// Loads the model and runs each task once; the first error ends it. Returns -1 with err set.
static int run_tasks(const char *dir, fc_weight_dtype weights, fc_error *err) {
    fc_model *model = NULL;
    fc_model_options options = {.weights = weights};
    if (fc_model_load_with(dir, &options, &model, err) != 0) return -1;
    static const fc_pair pairs[2] = {{"A man plays a guitar.", "A person plays music."},
                                     {"A dog runs in the park.", "A cat sleeps."}};
    float logits[2 * 8];
    static const char *const texts[2] = {"I love this film.", "The market fell today."};
    static const char *const labels[2] = {"cinema", "finance"};
    size_t ranks[4];
    float scores[4];
    fc_check_result result;
    int rc = fc_nli_logits(model, pairs, 2, NULL, logits, err);
    if (rc == 0) rc = fc_zeroshot(model, texts, 2, labels, 2, NULL, ranks, scores, err);
    if (rc == 0) rc = fc_check(model, "Paris is the capital of France.",
                               "Paris is in France. It is in Spain.", NULL, &result, err);
    if (rc == 0) fc_check_result_free(&result);
    fc_model_free(model);
    return rc;
}

// Fails the 0th, 1st, 2nd, ... fallible allocation of run_tasks until it passes untouched:
// every failure must come back as an out-of-memory error.
static void sweep_out_of_memory(const char *dir, fc_weight_dtype weights) {
    fc_error err = {{0}};
    int clean = run_tasks(dir, weights, &err) == 0;
    CHECK(clean);
    if (!clean) {
        fprintf(stderr, "  %s: %s\n", dir, err.message);
        return;
    }
    int failures = 0, all_named = 1;
    long n;
    for (n = 0; n < 500; n++) {
        fc_alloc_fail_after(n);
        err.message[0] = '\0';
        int rc = run_tasks(dir, weights, &err);
        fc_alloc_fail_after(-1);
        if (rc == 0) break; // past the last fallible allocation
        failures++;
        if (!fc_error_is_out_of_memory(&err)) {
            all_named = 0;
            fprintf(stderr, "  %s, allocation %ld failed: \"%s\"\n", dir, n, err.message);
        }
    }
    char what[256];
    snprintf(what, sizeof what, "%s (%s weights): %d injected allocation failures, each an "
             "out-of-memory error", dir, fc_weight_dtype_name(weights), failures);
    fc_check_at(n < 500 && failures > 5 && all_named, __FILE__, __LINE__, what);
    if (getenv("FINECAT_VERBOSE")) fprintf(stderr, "  %s\n", what);
}

// Texts that make every tokenizer stage work: precomposed and combining accents (NFC, BERT's
// accent stripping, the charsmap), CJK (BERT's padding of ideographs), emoji with ZWJ and
// skin tones (byte-level, grapheme clusters), İ (Lowercase's one multi-character mapping), runs
// of spaces and a tab (Replace, clean_text), long words (many merges, WordPiece pieces, one past
// WordPiece's 100 characters) and added tokens inside the text.
static const char sweep_premise[] =
    "Crème brûlée at Café Zürich: cafe\xcc\x81 de\xcc\x81ja\xcc\x80 vu, naïvely priced at 12,50 €!  "
    "東京の猫は寝ている。 🐈‍⬛ 🇫🇷 👩🏽‍💻 supercalifragilisticexpialidocious [MASK] <mask>";
static const char sweep_hypothesis[] =
    "İstanbul's ÅNGSTRÖM    measurements\twere pneumonoultramicroscopicsilicovolcanoconiosis-"
    "level précis; 中文 😀 [UNK] "
    "LlanfairpwllgwyngyllgogerychwyrndrobwllllantysiliogogogochLlanfairpwllgwyngyllgogerychwyrnd"
    "robwllllantysiliogogogochxyz.";

enum { SWEEP_SENTINEL = -7 };

// One call of the tokenizer sweep: the premise alone, appended after a sentinel id that must
// come through any failure as it was; or the pair truncated to 40 with its type ids, both
// lists holding a sentinel that a success replaces and a failure must not leave behind.
static int encode_for_sweep(const fc_tokenizer *tok, int pair, fc_ids *ids, fc_ids *types,
                            fc_error *err) {
    fc_ids_clear(ids);
    fc_ids_clear(types);
    fc_ids_push(ids, SWEEP_SENTINEL);
    fc_ids_push(types, SWEEP_SENTINEL);
    if (!pair) return fc_tokenizer_encode(tok, sweep_premise, strlen(sweep_premise), ids, err);
    return fc_tokenizer_encode_pair_typed(tok, sweep_premise, sweep_hypothesis, 40,
                                          FC_TRUNCATE_LONGEST_FIRST, ids, types, err);
}

static int same_ids(const fc_ids *a, const fc_ids *b) {
    return a->len == b->len && (a->len == 0 || memcmp(a->ids, b->ids, a->len * sizeof *a->ids) == 0);
}

// Fails the 0th, 1st, 2nd, ... fallible allocation of loading the tokenizer until it loads:
// every failure must be an out-of-memory error with no tokenizer. Returns the tokenizer.
static fc_tokenizer *sweep_tokenizer_load(const char *dir) {
    fc_tokenizer *tok = NULL;
    fc_error err = {{0}};
    int failures = 0, all_named = 1;
    long n;
    for (n = 0; n < 1000; n++) {
        fc_alloc_fail_after(n);
        err.message[0] = '\0';
        int rc = fc_tokenizer_load(dir, &tok, &err);
        fc_alloc_fail_after(-1);
        if (rc == 0) break;
        failures++;
        if (!fc_error_is_out_of_memory(&err) || tok) {
            all_named = 0;
            fprintf(stderr, "  %s, allocation %ld failed: \"%s\"\n", dir, n, err.message);
        }
    }
    char what[512];
    snprintf(what, sizeof what, "%s, load: %d injected allocation failures, each an out-of-memory "
             "error, then the tokenizer", dir, failures);
    fc_check_at(tok && failures >= 3 && all_named, __FILE__, __LINE__, what);
    if (getenv("FINECAT_VERBOSE")) fprintf(stderr, "  %s\n", what);
    return tok;
}

// Fails the 0th, 1st, 2nd, ... fallible allocation of an encode until it passes untouched:
// every failure must be an out-of-memory error that leaves no partial ids behind, and the
// success must give exactly the ids of an encode without the hook.
static void sweep_tokenizer_out_of_memory(const char *dir) {
    fc_tokenizer *tok = sweep_tokenizer_load(dir);
    fc_error err = {{0}};
    if (!tok) return;
    for (int pair = 0; pair < 2; pair++) {
        fc_ids want = {0}, want_types = {0}, ids = {0}, types = {0};
        int clean = encode_for_sweep(tok, pair, &want, &want_types, &err) == 0 && want.len > 20;
        CHECK(clean);
        if (!clean) fprintf(stderr, "  %s: %s\n", dir, err.message);
        int failures = 0, all_named = 1, none_partial = 1, same = 0;
        long n;
        for (n = 0; clean && n < 5000; n++) {
            fc_alloc_fail_after(n);
            err.message[0] = '\0';
            int rc = encode_for_sweep(tok, pair, &ids, &types, &err);
            fc_alloc_fail_after(-1);
            if (rc == 0) { // past the last fallible allocation
                same = same_ids(&ids, &want) && (!pair || same_ids(&types, &want_types));
                break;
            }
            failures++;
            if (!fc_error_is_out_of_memory(&err)) {
                all_named = 0;
                fprintf(stderr, "  %s, allocation %ld failed: \"%s\"\n", dir, n, err.message);
            }
            int untouched = pair ? ids.len == 0 && types.len == 0
                                 : ids.len == 1 && ids.ids[0] == SWEEP_SENTINEL;
            if (!untouched) {
                none_partial = 0;
                fprintf(stderr, "  %s, allocation %ld failed: %zu ids left\n", dir, n, ids.len);
            }
        }
        char what[512];
        snprintf(what, sizeof what, "%s, %s: %d injected allocation failures, each an "
                 "out-of-memory error with no ids left, then the ids of a plain encode", dir,
                 pair ? "encode_pair_typed" : "encode", failures);
        fc_check_at(clean && failures >= 3 && all_named && none_partial && same, __FILE__, __LINE__,
                    what);
        if (getenv("FINECAT_VERBOSE")) fprintf(stderr, "  %s\n", what);
        fc_ids_free(&want);
        fc_ids_free(&want_types);
        fc_ids_free(&ids);
        fc_ids_free(&types);
    }
    fc_tokenizer_free(tok);
}

// A model whose forward failed for memory stays usable: the next forward, with memory, gives
// the logits a fresh model gives.
static void test_forward_recovers(void) {
    fc_model *model = NULL;
    fc_error err;
    if (fc_model_load("tests/fixtures/bert/bert-tiny", &model, &err) != 0) {
        CHECK(!"bert-tiny loads");
        return;
    }
    int32_t ids[6] = {101, 1037, 2158, 102, 2003, 102}, offsets[2] = {0, 6};
    float before[8], after[8];
    CHECK(fc_model_forward(model, ids, offsets, 1, before, &err) == 0);
    // A longer batch needs a bigger arena; refuse it.
    int32_t long_ids[64], long_offsets[2] = {0, 64};
    for (int i = 0; i < 64; i++) long_ids[i] = i == 0 ? 101 : i == 63 ? 102 : 1037;
    fc_alloc_fail_after(0);
    int rc = fc_model_forward(model, long_ids, long_offsets, 1, after, &err);
    fc_alloc_fail_after(-1);
    CHECK(rc != 0 && fc_error_is_out_of_memory(&err));
    CHECK(fc_model_forward(model, ids, offsets, 1, after, &err) == 0);
    CHECK(memcmp(before, after, (size_t)fc_model_num_labels(model) * sizeof(float)) == 0);
    CHECK(fc_model_forward(model, long_ids, long_offsets, 1, after, &err) == 0);
    fc_model_free(model);
}

// The server answers 503 when tokenizing a request or its forward runs out of memory, and the
// next request is served. The handler admits and tokenizes, the scheduler's worker runs the
// forward, and the inference's finish writes the reply, as the server does with a suspended
// connection; the failing allocation hook runs around one of the two.
enum { FAIL_NONE = 0, FAIL_FORWARD, FAIL_TOKENIZING };

// One POST /predict through handler, scheduler and finish (fc_fuzz_finish_inference, as the
// server runs a suspended connection); the reply's status. FAIL_FORWARD fails every fallible
// allocation after the handler: the forward's. FAIL_TOKENIZING fails every fallible allocation
// of the handler: the tokenizer's.
static int predict_once(const fc_serve_context *ctx, const char *body, int fail_allocations,
                        char **text) {
    fc_reply reply = {0};
    if (fail_allocations == FAIL_TOKENIZING) fc_alloc_fail_after(0);
    fc_inference *inference = fc_handle_predict(ctx, body, strlen(body), &reply);
    fc_alloc_fail_after(-1);
    if (inference) {
        if (fail_allocations == FAIL_FORWARD) fc_alloc_fail_after(0);
        fc_fuzz_finish_inference(ctx, inference, &reply);
        fc_alloc_fail_after(-1);
    }
    int status = reply.status;
    if (text) *text = fc_fuzz_cstring((const uint8_t *)reply.body.data, reply.body.len);
    fc_reply_free(&reply);
    return status;
}

static void test_server_503(void) {
    fc_model *model = NULL;
    fc_error err;
    fc_metrics *metrics = fc_metrics_create();
    fc_server_options options = fc_server_default_options();
    options.threads = 1;
    fc_serve_context ctx = {.metrics = metrics, .options = &options};
    if (fc_model_load("tests/fixtures/bert/bert-tiny", &model, &err) != 0 ||
        fc_scheduler_start(model, options.max_batch_tokens, options.max_concurrent_requests, 1,
                           metrics, &ctx.scheduler, &err) != 0) {
        CHECK(!"bert-tiny serves");
        fc_model_free(model);
        fc_metrics_free(metrics);
        return;
    }
    ctx.model = model;
    const char *body = "{\"inputs\": [\"A man plays a guitar.\", \"A person plays music.\"]}";
    char *text = NULL;
    int status = predict_once(&ctx, body, FAIL_FORWARD, &text);
    CHECK(status == 503 && strstr(text, "out_of_memory") && strstr(text, "out of memory"));
    free(text);
    CHECK(predict_once(&ctx, body, FAIL_NONE, NULL) == 200);
    // Out of memory while tokenizing is the server's state too, not a text the tokenizer
    // refuses (422), and the handler leaves the scheduler as it found it.
    status = predict_once(&ctx, body, FAIL_TOKENIZING, &text);
    CHECK(status == 503 && strstr(text, "out_of_memory") && strstr(text, "inputs[0]: ") &&
          strstr(text, "out of memory"));
    free(text);
    CHECK(predict_once(&ctx, body, FAIL_NONE, NULL) == 200);
    fc_scheduler_stop(ctx.scheduler);
    fc_scheduler_free(ctx.scheduler);
    fc_model_free(model);
    fc_metrics_free(metrics);
}

void suite_reliability(void) {
    test_find_nul();
    test_request_nul();
    test_data_nul();
    test_cli_nul();
    test_tokenizer_invalid_utf8();
    sweep_out_of_memory("tests/fixtures/bert/bert-tiny", FC_WEIGHTS_F32);
    sweep_out_of_memory("tests/fixtures/modernbert/tiny-cls", FC_WEIGHTS_F32);
    sweep_out_of_memory("tests/fixtures/deberta/plain", FC_WEIGHTS_F32);
    // Low-precision storage: the converted copies at load and their scratch in the forward.
    sweep_out_of_memory("tests/fixtures/modernbert/tiny-cls", FC_WEIGHTS_INT8);
    sweep_out_of_memory("tests/fixtures/modernbert/tiny-cls", FC_WEIGHTS_BF16);
    // Each kind of tokenizer: byte-level BPE (ModernBERT, RoBERTa), WordPiece (BERT), Unigram
    // from an spm.model and from tokenizer.json (DeBERTa-v3).
    sweep_tokenizer_out_of_memory("tests/fixtures/modernbert/tiny-cls");
    sweep_tokenizer_out_of_memory("tests/fixtures/bert_tokens/roberta");
    sweep_tokenizer_out_of_memory("tests/fixtures/bert_tokens/minilm");
    sweep_tokenizer_out_of_memory("tests/fixtures/deberta/plain");
    sweep_tokenizer_out_of_memory("tests/fixtures/deberta_tokens");
    test_forward_recovers();
    test_server_503();
}
