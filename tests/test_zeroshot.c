// Tests of zero-shot classification against transformers' ZeroShotClassificationPipeline on
// the fixture models (tests/fixtures/zeroshot/reference.json, written by
// tools/fixtures/zeroshot.py): token ids of every pair, scores to 1e-4 and the label order
// exactly; Python's str.format on templates; the label-string split; the pair assembly against
// fc_tokenizer_encode_pair; batching that changes nothing; errors.
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "finecat.h"
#include "harness.h"
#include "tasks/pair_assembly.h"
#include "tasks/zeroshot.h"
#include "tasks/zeroshot_template.h"
#include "util/file.h"

// fp32 forward against PyTorch fp32 (eager), then the pipeline's softmax.
static const double score_tolerance = 1e-4;
// Only the grouping of pairs into forwards changes: rounding only.
static const double batching_tolerance = 1e-5;

static cJSON *load_json(const char *path) {
    char *text;
    fc_error err;
    if (fc_read_file(path, &text, NULL, &err) != 0) {
        fprintf(stderr, "test_zeroshot: %s\n", err.message);
        return NULL;
    }
    cJSON *json = cJSON_Parse(text);
    free(text);
    return json;
}

static int ids_equal_json(const fc_ids *ids, const cJSON *array) {
    if ((size_t)cJSON_GetArraySize(array) != ids->len) return 0;
    size_t i = 0;
    for (const cJSON *item = array->child; item; item = item->next, i++)
        if (item->valueint != ids->ids[i]) return 0;
    return 1;
}

static void model_dir_of(const char *name, char *out, size_t size) {
    // The model with a 48-token model_max_length lives beside the reference it was made for.
    if (strcmp(name, "tiny-mean-max48") == 0)
        snprintf(out, size, "%s/zeroshot/%s", fc_test_fixtures_dir(), name);
    else
        snprintf(out, size, "%s/modernbert/%s", fc_test_fixtures_dir(), name);
}

// ---------------------------------------------------------------------------------------------
// Templates and labels (no model)

static void test_templates(const cJSON *reference) {
    const cJSON *rows = cJSON_GetObjectItem(reference, "templates");
    CHECK(cJSON_GetArraySize(rows) > 40);
    int errors = 0, results = 0;
    for (const cJSON *row = rows ? rows->child : NULL; row; row = row->next) {
        const char *template = cJSON_GetObjectItem(row, "template")->valuestring;
        const char *label = cJSON_GetObjectItem(row, "label")->valuestring;
        const cJSON *want = cJSON_GetObjectItem(row, "result");
        char *got = NULL;
        fc_error err;
        int status = fc_zeroshot_hypothesis(template, label, &got, &err);
        int ok = want ? status == 0 && strcmp(got, want->valuestring) == 0 : status == -1;
        if (!ok)
            fprintf(stderr, "  template \"%s\" with \"%s\": got %s, want %s\n", template, label,
                    status == 0 ? got : err.message,
                    want ? want->valuestring : cJSON_GetObjectItem(row, "error")->valuestring);
        CHECK(ok);
        if (want) results++; else errors++;
        free(got);
    }
    CHECK(results > 20 && errors > 20); // both sides of the rule are exercised

    // The default template, and NULL meaning it.
    char *text = NULL;
    fc_error err;
    CHECK(fc_zeroshot_hypothesis(NULL, "sports", &text, &err) == 0);
    CHECK(text && strcmp(text, "This example is sports.") == 0);
    free(text);
    CHECK(fc_zeroshot_hypothesis("no placeholder", "sports", &text, &err) == -1);
    CHECK(text == NULL && strstr(err.message, "no placeholder") != NULL);
    CHECK(fc_pyformat("{}", "\xC3", &text, &err) == -1 && strstr(err.message, "UTF-8"));
}

static void test_label_strings(const cJSON *reference) {
    const cJSON *rows = cJSON_GetObjectItem(reference, "label_strings");
    CHECK(cJSON_GetArraySize(rows) >= 5);
    for (const cJSON *row = rows ? rows->child : NULL; row; row = row->next) {
        const cJSON *want = cJSON_GetObjectItem(row, "labels");
        char **labels;
        size_t n;
        fc_error err;
        CHECK(fc_zeroshot_split_labels(cJSON_GetObjectItem(row, "text")->valuestring, &labels,
                                       &n, &err) == 0);
        int ok = n == (size_t)cJSON_GetArraySize(want);
        for (size_t i = 0; ok && i < n; i++)
            ok = strcmp(labels[i], cJSON_GetArrayItem(want, (int)i)->valuestring) == 0;
        if (!ok) fprintf(stderr, "  labels of \"%s\" differ\n",
                         cJSON_GetObjectItem(row, "text")->valuestring);
        CHECK(ok);
        fc_zeroshot_labels_free(labels, n);
    }
}

// ---------------------------------------------------------------------------------------------
// Parity with the pipeline

typedef struct zs_case {
    const char **texts;
    size_t n_texts;
    char **labels;
    size_t n_labels;
    const char *template;
    int multi_label;
} zs_case;

static void case_load(const cJSON *row, zs_case *c) {
    memset(c, 0, sizeof *c);
    const cJSON *texts = cJSON_GetObjectItem(row, "texts");
    c->n_texts = (size_t)cJSON_GetArraySize(texts);
    c->texts = calloc(c->n_texts, sizeof *c->texts);
    for (size_t i = 0; i < c->n_texts; i++)
        c->texts[i] = cJSON_GetArrayItem(texts, (int)i)->valuestring;
    const cJSON *labels = cJSON_GetObjectItem(row, "labels");
    fc_error err;
    if (cJSON_IsString(labels)) {
        fc_zeroshot_split_labels(labels->valuestring, &c->labels, &c->n_labels, &err);
    } else {
        c->n_labels = (size_t)cJSON_GetArraySize(labels);
        c->labels = calloc(c->n_labels, sizeof *c->labels);
        for (size_t i = 0; i < c->n_labels; i++)
            c->labels[i] = strdup(cJSON_GetArrayItem(labels, (int)i)->valuestring);
    }
    const cJSON *template = cJSON_GetObjectItem(row, "template");
    c->template = template ? template->valuestring : NULL;
    c->multi_label = cJSON_IsTrue(cJSON_GetObjectItem(row, "multi_label"));
}

static void case_free(zs_case *c) {
    free(c->texts);
    fc_zeroshot_labels_free(c->labels, c->n_labels);
}

static void check_case(fc_model *model, const cJSON *row, const char *model_name) {
    const char *case_name = cJSON_GetObjectItem(row, "name")->valuestring;
    zs_case c;
    case_load(row, &c);
    size_t n_pairs = c.n_texts * c.n_labels;
    fc_error err;

    // Token ids of every pair, text-major, as the pipeline gave them to the model.
    fc_ids *pairs = calloc(n_pairs, sizeof *pairs);
    const cJSON *want_ids = cJSON_GetObjectItem(row, "input_ids");
    CHECK((size_t)cJSON_GetArraySize(want_ids) == n_pairs);
    int encoded = fc_zeroshot_encode(model, (const char *const *)c.texts, c.n_texts,
                                     (const char *const *)c.labels, c.n_labels, c.template, pairs,
                                     &err) == 0;
    if (!encoded) fprintf(stderr, "  %s/%s: %s\n", model_name, case_name, err.message);
    CHECK(encoded);
    for (size_t i = 0; encoded && i < n_pairs; i++) {
        int same = ids_equal_json(&pairs[i], cJSON_GetArrayItem(want_ids, (int)i));
        if (!same) fprintf(stderr, "  %s/%s: ids of pair %zu differ\n", model_name, case_name, i);
        CHECK(same);
    }
    for (size_t i = 0; i < n_pairs; i++) fc_ids_free(&pairs[i]);
    free(pairs);

    // Scores and label order.
    size_t *ranks = calloc(n_pairs, sizeof *ranks);
    float *scores = calloc(n_pairs, sizeof *scores);
    fc_zeroshot_options options = fc_zeroshot_default_options();
    options.hypothesis_template = c.template;
    options.multi_label = c.multi_label;
    int ran = fc_zeroshot(model, (const char *const *)c.texts, c.n_texts,
                          (const char *const *)c.labels, c.n_labels, &options, ranks, scores,
                          &err) == 0;
    if (!ran) fprintf(stderr, "  %s/%s: %s\n", model_name, case_name, err.message);
    CHECK(ran);
    const cJSON *results = cJSON_GetObjectItem(row, "results");
    CHECK((size_t)cJSON_GetArraySize(results) == c.n_texts);
    double worst = 0.0;
    for (size_t t = 0; ran && t < c.n_texts; t++) {
        const cJSON *result = cJSON_GetArrayItem(results, (int)t);
        CHECK(strcmp(cJSON_GetObjectItem(result, "sequence")->valuestring, c.texts[t]) == 0);
        const cJSON *want_labels = cJSON_GetObjectItem(result, "labels");
        const cJSON *want_scores = cJSON_GetObjectItem(result, "scores");
        for (size_t r = 0; r < c.n_labels; r++) {
            const char *got = c.labels[ranks[t * c.n_labels + r]];
            const char *want = cJSON_GetArrayItem(want_labels, (int)r)->valuestring;
            if (strcmp(got, want) != 0)
                fprintf(stderr, "  %s/%s text %zu rank %zu: got \"%s\", want \"%s\"\n",
                        model_name, case_name, t, r, got, want);
            CHECK(strcmp(got, want) == 0);
            double diff = fabs(scores[t * c.n_labels + r] -
                               cJSON_GetArrayItem(want_scores, (int)r)->valuedouble);
            if (!(diff <= worst)) worst = isnan(diff) ? INFINITY : diff;
        }
    }
    if (!(worst <= score_tolerance))
        fprintf(stderr, "  %s/%s: max score diff %.3g\n", model_name, case_name, worst);
    CHECK(worst <= score_tolerance);

    // One pair per forward, or all in one: the same scores (on the short cases only; the
    // long one adds time, not coverage).
    const int budgets[] = {1, 100000};
    int is_long = strcmp(case_name, "long_text") == 0;
    for (size_t b = 0; ran && !is_long && b < 2; b++) {
        size_t *ranks_b = calloc(n_pairs, sizeof *ranks_b);
        float *scores_b = calloc(n_pairs, sizeof *scores_b);
        options.max_batch_tokens = budgets[b];
        CHECK(fc_zeroshot(model, (const char *const *)c.texts, c.n_texts,
                          (const char *const *)c.labels, c.n_labels, &options, ranks_b, scores_b,
                          &err) == 0);
        double diff = 0.0;
        for (size_t i = 0; i < n_pairs; i++) {
            double d = fabs(scores_b[i] - scores[i]);
            if (!(d <= diff)) diff = isnan(d) ? INFINITY : d;
        }
        CHECK(diff <= batching_tolerance);
        free(ranks_b);
        free(scores_b);
    }
    free(ranks);
    free(scores);
    case_free(&c);
}

// The assembly from separately tokenized texts equals fc_tokenizer_encode_pair on the same
// texts: no truncation, only_first at several lengths, and the "too short" failure.
static void check_assembly(fc_model *model, const cJSON *model_ref) {
    const fc_tokenizer *tok = fc_model_tokenizer(model);
    const cJSON *row = cJSON_GetArrayItem(cJSON_GetObjectItem(model_ref, "cases"), 0);
    const cJSON *texts = cJSON_GetObjectItem(row, "texts");
    const char *hypotheses[] = {"This example is sports.", "", ("A much longer hypothesis that "
                                 "goes on for a while, to leave the premise little room.")};
    const int max_lengths[] = {0, 8, 20, 24, 40, 64, 512};
    fc_ids premise = {0}, hypothesis = {0}, assembled = {0}, reference = {0};
    int compared = 0, too_short = 0;
    for (const cJSON *text = texts->child; text; text = text->next) {
        fc_ids_clear(&premise);
        CHECK(fc_tokenizer_encode(tok, text->valuestring, strlen(text->valuestring), &premise,
                                  NULL) == 0);
        for (size_t h = 0; h < 3; h++) {
            fc_ids_clear(&hypothesis);
            CHECK(fc_tokenizer_encode(tok, hypotheses[h], strlen(hypotheses[h]), &hypothesis,
                                      NULL) == 0);
            for (size_t m = 0; m < sizeof max_lengths / sizeof max_lengths[0]; m++) {
                fc_truncation truncation = max_lengths[m] ? FC_TRUNCATE_ONLY_FIRST : FC_TRUNCATE_NONE;
                fc_error err_a, err_b;
                int a = fc_pair_assemble(tok, &premise, &hypothesis, max_lengths[m], truncation,
                                         &assembled, &err_a);
                int b = fc_tokenizer_encode_pair(tok, text->valuestring, hypotheses[h],
                                                 max_lengths[m], truncation, &reference, &err_b);
                CHECK(a == b);
                if (a == 0 && b == 0) {
                    int same = assembled.len == reference.len &&
                               memcmp(assembled.ids, reference.ids,
                                      assembled.len * sizeof *assembled.ids) == 0;
                    CHECK(same);
                    compared++;
                } else if (a != 0) {
                    CHECK(strstr(err_a.message, "too short") != NULL);
                    too_short++;
                    // The pipeline's fallback: the untruncated pair.
                    CHECK(fc_pair_assemble_only_first_or_none(tok, &premise, &hypothesis,
                                                              max_lengths[m], &assembled,
                                                              &err_a) == 0);
                    CHECK(assembled.len == premise.len + hypothesis.len + 3);
                }
            }
        }
    }
    CHECK(compared > 40 && too_short > 0);
    fc_ids_free(&premise);
    fc_ids_free(&hypothesis);
    fc_ids_free(&assembled);
    fc_ids_free(&reference);
}

static void check_errors(fc_model *model) {
    const char *texts[] = {"A fine text.", "bad \xFF byte"};
    const char *labels[] = {"sports", "politics"};
    size_t ranks[4];
    float scores[4];
    fc_error err;
    CHECK(fc_zeroshot(model, texts, 2, labels, 2, NULL, ranks, scores, &err) == -1);
    CHECK(strstr(err.message, "text 1") != NULL && strstr(err.message, "UTF-8") != NULL);
    CHECK(fc_zeroshot(model, texts, 1, labels, 0, NULL, ranks, scores, &err) == -1);
    CHECK(strstr(err.message, "at least one") != NULL);
    CHECK(fc_zeroshot(model, texts, 0, labels, 2, NULL, ranks, scores, &err) == -1);
    fc_zeroshot_options options = fc_zeroshot_default_options();
    options.hypothesis_template = "Topic: none";
    CHECK(fc_zeroshot(model, texts, 1, labels, 2, &options, ranks, scores, &err) == -1);
    CHECK(strstr(err.message, "label 0") != NULL && strstr(err.message, "Topic: none") != NULL);
    const char *bad_label[] = {"sports", "\xC3("};
    CHECK(fc_zeroshot(model, texts, 1, bad_label, 2, NULL, ranks, scores, &err) == -1);
    CHECK(strstr(err.message, "label 1") != NULL);

    // Equal scores (the same label twice): the later label ranks first, as reversed(argsort).
    const char *twice[] = {"sports", "sports"};
    CHECK(fc_zeroshot(model, texts, 1, twice, 2, NULL, ranks, scores, &err) == 0);
    CHECK(ranks[0] == 1 && ranks[1] == 0 && scores[0] == scores[1]);
    CHECK_CLOSE(scores[0], 0.5, 1e-6);
}

static void test_model(const cJSON *reference, const char *name) {
    char dir[1024];
    model_dir_of(name, dir, sizeof dir);
    fc_model *model = NULL;
    fc_error err;
    int loaded = fc_model_load(dir, &model, &err) == 0;
    if (!loaded) fprintf(stderr, "  %s: %s\n", name, err.message);
    CHECK(loaded);
    if (!loaded) return;
    const cJSON *model_ref = cJSON_GetObjectItem(cJSON_GetObjectItem(reference, "models"), name);
    CHECK(fc_model_entailment_id(model) ==
          cJSON_GetObjectItem(model_ref, "entailment_id")->valueint);
    const cJSON *cases = cJSON_GetObjectItem(model_ref, "cases");
    CHECK(cJSON_GetArraySize(cases) >= 7);
    for (const cJSON *row = cases ? cases->child : NULL; row; row = row->next)
        check_case(model, row, name);
    check_assembly(model, model_ref);
    if (strcmp(name, "tiny-mean") == 0) check_errors(model);
    fc_model_free(model);
}

// ---------------------------------------------------------------------------------------------
// `finecat zeroshot`, as a user runs it: texts one a line or as JSONL, against the pipeline.

static const char *finecat_bin(void) {
    const char *env = getenv("FINECAT_BIN");
    return env ? env : "build/finecat";
}

static char *run_capture(const char *command, int *status) {
    FILE *p = popen(command, "r");
    if (!p) return NULL;
    size_t len = 0, cap = 4096;
    char *out = malloc(cap);
    size_t n;
    while ((n = fread(out + len, 1, cap - len - 1, p)) > 0) {
        len += n;
        if (len + 1 == cap) out = realloc(out, cap *= 2);
    }
    out[len] = '\0';
    int rc = pclose(p);
    *status = WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
    return out;
}

// Runs the CLI on one reference case (jsonl: texts as {"text": ...} lines, else plain lines,
// with a blank line between) and compares each output line with the pipeline's result.
static void check_cli_case(const char *model_dir, const cJSON *row, int jsonl, const char *tmp) {
    zs_case c;
    case_load(row, &c);
    char input[256];
    snprintf(input, sizeof input, "%s/texts.txt", tmp);
    FILE *f = fopen(input, "w");
    for (size_t t = 0; t < c.n_texts; t++) {
        if (jsonl) {
            cJSON *line = cJSON_CreateObject();
            cJSON_AddNumberToObject(line, "id", (double)t);
            cJSON_AddStringToObject(line, "text", c.texts[t]);
            char *printed = cJSON_PrintUnformatted(line);
            fprintf(f, "%s\n\n", printed);
            free(printed);
            cJSON_Delete(line);
        } else {
            fprintf(f, "%s\n\n", c.texts[t]);
        }
    }
    fclose(f);
    // The labels go back to one comma-separated string (none of them holds a comma).
    char labels[1024] = "";
    for (size_t l = 0; l < c.n_labels; l++) {
        strcat(labels, l ? ", " : "");
        strcat(labels, c.labels[l]);
    }
    char command[4096];
    snprintf(command, sizeof command, "%s zeroshot --model %s --labels '%s' --input %s %s%s%s%s",
             finecat_bin(), model_dir, labels, input, c.multi_label ? "--multi-label " : "",
             c.template ? "--template '" : "", c.template ? c.template : "", c.template ? "'" : "");
    int status;
    char *out = run_capture(command, &status);
    CHECK(status == 0);
    const cJSON *results = cJSON_GetObjectItem(row, "results");
    size_t t = 0;
    for (char *line = out ? strtok(out, "\n") : NULL; line; line = strtok(NULL, "\n"), t++) {
        cJSON *got = cJSON_Parse(line);
        const cJSON *want = cJSON_GetArrayItem(results, (int)t);
        CHECK(got && want);
        if (!got || !want) {
            cJSON_Delete(got);
            break;
        }
        CHECK(strcmp(cJSON_GetObjectItem(got, "sequence")->valuestring, c.texts[t]) == 0);
        const cJSON *got_labels = cJSON_GetObjectItem(got, "labels");
        const cJSON *got_scores = cJSON_GetObjectItem(got, "scores");
        for (size_t r = 0; r < c.n_labels; r++) {
            CHECK(strcmp(cJSON_GetArrayItem(got_labels, (int)r)->valuestring,
                         cJSON_GetArrayItem(cJSON_GetObjectItem(want, "labels"), (int)r)->valuestring) == 0);
            CHECK_CLOSE(cJSON_GetArrayItem(got_scores, (int)r)->valuedouble,
                        cJSON_GetArrayItem(cJSON_GetObjectItem(want, "scores"), (int)r)->valuedouble,
                        score_tolerance);
        }
        cJSON_Delete(got);
    }
    CHECK(t == c.n_texts);
    free(out);
    unlink(input);
    case_free(&c);
}

static void test_cli(const cJSON *reference) {
    char model_dir[1024];
    model_dir_of("tiny-cls", model_dir, sizeof model_dir);
    char tmp[] = "/tmp/finecat_zeroshot_cli_XXXXXX";
    CHECK(mkdtemp(tmp) != NULL);
    const cJSON *cases = cJSON_GetObjectItem(
        cJSON_GetObjectItem(cJSON_GetObjectItem(reference, "models"), "tiny-cls"), "cases");
    for (const cJSON *row = cases ? cases->child : NULL; row; row = row->next) {
        const char *name = cJSON_GetObjectItem(row, "name")->valuestring;
        if (strcmp(name, "single_label") == 0 || strcmp(name, "custom_template") == 0)
            check_cli_case(model_dir, row, 0, tmp);
        if (strcmp(name, "multi_label") == 0 || strcmp(name, "label_string") == 0)
            check_cli_case(model_dir, row, 1, tmp);
    }
    // Errors: a bad JSONL line names the file and line; bad usage exits 2.
    char input[256], command[2048];
    snprintf(input, sizeof input, "%s/bad.jsonl", tmp);
    FILE *f = fopen(input, "w");
    fputs("A fine text.\n{\"txt\": \"no text member\"}\n", f);
    fclose(f);
    int status;
    snprintf(command, sizeof command, "%s zeroshot --model %s --labels a,b --input %s 2>&1",
             finecat_bin(), model_dir, input);
    char *out = run_capture(command, &status);
    CHECK(status == 1 && out && strstr(out, "bad.jsonl:2: missing \"text\"") != NULL);
    free(out);
    snprintf(command, sizeof command, "echo hi | %s zeroshot --model %s --labels ' , ' 2>&1",
             finecat_bin(), model_dir);
    out = run_capture(command, &status);
    CHECK(status == 2 && out && strstr(out, "no label") != NULL);
    free(out);
    snprintf(command, sizeof command, "echo hi | %s zeroshot --model %s --labels a "
             "--template 'no field' 2>&1", finecat_bin(), model_dir);
    out = run_capture(command, &status);
    CHECK(status == 2 && out && strstr(out, "--template") != NULL);
    free(out);
    unlink(input);
    rmdir(tmp);
}

void suite_zeroshot(void) {
    char path[1024];
    snprintf(path, sizeof path, "%s/zeroshot/reference.json", fc_test_fixtures_dir());
    cJSON *reference = load_json(path);
    CHECK(reference != NULL);
    if (!reference) return;
    test_templates(reference);
    test_label_strings(reference);
    const cJSON *models = cJSON_GetObjectItem(reference, "models");
    CHECK(cJSON_GetArraySize(models) == 4);
    for (const cJSON *m = models ? models->child : NULL; m; m = m->next) test_model(reference, m->string);
    test_cli(reference);
    cJSON_Delete(reference);
}
