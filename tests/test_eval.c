// Tests of evaluation (src/eval): the metrics against scikit-learn's numbers for the same label
// sequences (tests/fixtures/metrics/reference.json, written by tools/fixtures/metrics.py), label
// alignment by name, an end-to-end run of a fixture model over a real file whose accuracy must
// equal the metrics of its own predictions and of an independent fc_nli_logits run, the report
// files, and `finecat eval` itself when the program is built.
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "data/dataset.h"
#include "eval/eval.h"
#include "eval/metrics.h"
#include "eval/peak_memory.h"
#include "eval/report.h"
#include "eval/suite.h"
#include "finecat.h"
#include "harness.h"
#include "util/file.h"

// The stated tolerance of the sklearn comparison: both sides compute the same ratios in double.
static const double sklearn_tolerance = 1e-9;

static char temp_dir[64];

static cJSON *load_json(const char *path) {
    char *text;
    fc_error err;
    if (fc_read_file(path, &text, NULL, &err) != 0) {
        fprintf(stderr, "  test_eval: %s\n", err.message);
        return NULL;
    }
    cJSON *json = cJSON_Parse(text);
    free(text);
    return json;
}

static int *int_array(const cJSON *array, size_t *n) {
    *n = (size_t)cJSON_GetArraySize(array);
    int *values = malloc((*n ? *n : 1) * sizeof *values);
    size_t i = 0;
    for (const cJSON *item = array->child; item; item = item->next) values[i++] = item->valueint;
    return values;
}

static double number_at(const cJSON *array, int i) {
    return cJSON_GetArrayItem(array, i)->valuedouble;
}

// ---------------------------------------------------------------------------------------------
// Metrics against scikit-learn

static void check_case(const cJSON *c) {
    const char *name = cJSON_GetObjectItem(c, "name")->valuestring;
    size_t n_gold, n_predicted;
    int *gold = int_array(cJSON_GetObjectItem(c, "gold"), &n_gold);
    int *predicted = int_array(cJSON_GetObjectItem(c, "predicted"), &n_predicted);
    CHECK(n_gold == n_predicted && n_gold > 0);
    fc_metrics m;
    fc_error err;
    CHECK(fc_metrics_from_labels(gold, predicted, n_gold, &m, &err) == 0);
    double want_accuracy = cJSON_GetObjectItem(c, "accuracy")->valuedouble;
    double want_macro = cJSON_GetObjectItem(c, "f1_macro")->valuedouble;
    CHECK(m.total == n_gold);
    CHECK_CLOSE(m.accuracy, want_accuracy, sklearn_tolerance);
    CHECK_CLOSE(m.accuracy, cJSON_GetObjectItem(c, "f1_micro")->valuedouble, sklearn_tolerance);
    CHECK_CLOSE(m.macro_f1, want_macro, sklearn_tolerance);
    if (fabs(m.macro_f1 - want_macro) > sklearn_tolerance)
        fprintf(stderr, "  case %s: macro-F1 %.12f, sklearn %.12f\n", name, m.macro_f1,
                want_macro);
    const cJSON *precision = cJSON_GetObjectItem(c, "precision");
    const cJSON *recall = cJSON_GetObjectItem(c, "recall");
    const cJSON *f1 = cJSON_GetObjectItem(c, "f1");
    const cJSON *support = cJSON_GetObjectItem(c, "support");
    const cJSON *confusion = cJSON_GetObjectItem(c, "confusion");
    for (int k = 0; k < FC_LABEL_COUNT; k++) {
        CHECK_CLOSE(m.per_class[k].precision, number_at(precision, k), sklearn_tolerance);
        CHECK_CLOSE(m.per_class[k].recall, number_at(recall, k), sklearn_tolerance);
        CHECK_CLOSE(m.per_class[k].f1, number_at(f1, k), sklearn_tolerance);
        CHECK(m.per_class[k].support == (size_t)number_at(support, k));
        const cJSON *row = cJSON_GetArrayItem(confusion, k);
        for (int p = 0; p < FC_LABEL_COUNT; p++)
            CHECK(m.confusion[k][p] == (size_t)number_at(row, p));
    }
    free(gold);
    free(predicted);
}

static cJSON *metrics_reference(void) {
    char path[512];
    snprintf(path, sizeof path, "%s/metrics/reference.json", fc_test_fixtures_dir());
    return load_json(path);
}

static void test_metrics_against_sklearn(const cJSON *reference) {
    const cJSON *cases = cJSON_GetObjectItem(reference, "cases");
    CHECK(cJSON_GetArraySize(cases) >= 9);
    const cJSON *c;
    cJSON_ArrayForEach(c, cases) check_case(c);
}

// The real-data case's gold labels are those the ANLI reader gives, row for row: the fixture
// and the reader agree on what ANLI R1 dev says.
static void test_reference_gold_is_anli(const cJSON *reference) {
    const cJSON *c;
    const cJSON *anli = NULL;
    cJSON_ArrayForEach(c, cJSON_GetObjectItem(reference, "cases")) {
        if (strcmp(cJSON_GetObjectItem(c, "name")->valuestring, "anli_r1_dev_noisy") == 0) anli = c;
    }
    CHECK(anli != NULL);
    if (!anli) return;
    size_t n;
    int *gold = int_array(cJSON_GetObjectItem(anli, "gold"), &n);
    char path[512];
    snprintf(path, sizeof path, "%s/nli/anli/anli_v0.1/R1/dev.jsonl", fc_test_shared_data_dir());
    fc_dataset data;
    fc_error err;
    CHECK(fc_dataset_read(path, FC_FORMAT_AUTO, NULL, &data, &err) == 0);
    CHECK(data.count == n);
    size_t differ = 0;
    for (size_t i = 0; i < n && i < data.count; i++)
        if (data.records[i].label != gold[i]) differ++;
    CHECK(differ == 0);
    fc_dataset_free(&data);
    free(gold);
}

static void test_metrics_edges(void) {
    fc_metrics m;
    fc_error err;
    CHECK(fc_metrics_from_labels(NULL, NULL, 0, &m, &err) == 0);
    CHECK(m.total == 0 && m.accuracy == 0.0 && m.macro_f1 == 0.0);
    int gold[2] = {0, 3}, predicted[2] = {0, 1};
    CHECK(fc_metrics_from_labels(gold, predicted, 2, &m, &err) == -1);
    CHECK(strstr(err.message, "gold label 3 at 1") != NULL);
    gold[1] = 1;
    predicted[1] = -1;
    CHECK(fc_metrics_from_labels(gold, predicted, 2, &m, &err) == -1);
    // Adding one by one gives what the sequence gives.
    fc_metrics added;
    fc_metrics_init(&added);
    fc_metrics_add(&added, 0, 0);
    fc_metrics_add(&added, 1, 2);
    fc_metrics_add(&added, 2, 2);
    fc_metrics_finish(&added);
    int g3[3] = {0, 1, 2}, p3[3] = {0, 2, 2};
    CHECK(fc_metrics_from_labels(g3, p3, 3, &m, &err) == 0);
    CHECK(memcmp(&m, &added, sizeof m) == 0);
}

// ---------------------------------------------------------------------------------------------
// Label alignment and a whole run with the fixture model

static void test_predict_by_name(void) {
    // A model in cross-encoder order: 0 contradiction, 1 entailment, 2 neutral.
    const int canonical_of_id[3] = {FC_LABEL_CONTRADICTION, FC_LABEL_ENTAILMENT,
                                    FC_LABEL_NEUTRAL};
    const float logits[][3] = {{3, 1, 2}, {0, 5, 1}, {-1, -2, 0.5f}, {2, 2, 1}};
    const int want[] = {FC_LABEL_CONTRADICTION, FC_LABEL_ENTAILMENT, FC_LABEL_NEUTRAL,
                        FC_LABEL_CONTRADICTION}; // a tie goes to the first id, as argmax
    for (int i = 0; i < 4; i++) CHECK(fc_eval_predict(logits[i], 3, canonical_of_id) == want[i]);
}

// Copies the fixture model to a temporary folder with another id2label: the same logits, other
// names. Returns the folder or NULL.
static const char *relabeled_model(const char *model_dir, const char *id2label) {
    static char dir[128];
    snprintf(dir, sizeof dir, "%s/relabeled", temp_dir);
    char command[1024];
    snprintf(command, sizeof command, "mkdir -p '%s' && cp '%s'/* '%s'/", dir, model_dir, dir);
    if (system(command) != 0) return NULL;
    char config_path[256];
    snprintf(config_path, sizeof config_path, "%s/config.json", dir);
    cJSON *config = load_json(config_path);
    if (!config) return NULL;
    cJSON_ReplaceItemInObject(config, "id2label", cJSON_Parse(id2label));
    cJSON_DeleteItemFromObject(config, "label2id");
    char *text = cJSON_Print(config);
    cJSON_Delete(config);
    FILE *f = fopen(config_path, "wb");
    if (f) {
        fputs(text, f);
        fclose(f);
    }
    free(text);
    return f ? dir : NULL;
}

// Runs the model over the first rows of ANLI R1 dev and checks the result against what the
// same model gives through fc_nli_logits directly, labels matched by name independently.
static void check_run(fc_model *model, const char *data_path, size_t max_rows,
                      const char *what) {
    fc_eval_options options = fc_eval_default_options();
    options.max_rows = max_rows;
    options.keep_predictions = 1;
    fc_eval_result result;
    fc_eval_result_init(&result);
    fc_error err;
    int status = fc_eval_file(model, data_path, FC_FORMAT_AUTO, NULL, &options, &result, &err);
    if (status != 0) fprintf(stderr, "  %s: %s\n", what, err.message);
    CHECK(status == 0);
    fc_eval_result_finish(&result);
    CHECK(result.evaluated == max_rows);
    CHECK(result.seconds > 0);

    // The accuracy is the metric of its own predictions.
    fc_metrics from_predictions;
    CHECK(fc_metrics_from_labels(result.gold, result.predicted, result.evaluated,
                                 &from_predictions, &err) == 0);
    CHECK(from_predictions.accuracy == result.metrics.accuracy);
    CHECK(from_predictions.macro_f1 == result.metrics.macro_f1);
    size_t correct = 0;
    for (size_t i = 0; i < result.evaluated; i++) correct += result.gold[i] == result.predicted[i];
    CHECK_CLOSE(result.metrics.accuracy, (double)correct / (double)max_rows, 1e-12);

    // The predictions are those of fc_nli_logits over the same pairs, the argmax id's name read
    // back through fc_label_from_name.
    fc_dataset data;
    CHECK(fc_dataset_read(data_path, FC_FORMAT_AUTO, NULL, &data, &err) == 0);
    size_t n = data.count < max_rows ? data.count : max_rows;
    int num_labels = fc_model_num_labels(model);
    fc_pair *pairs = calloc(n, sizeof *pairs);
    float *logits = calloc(n * (size_t)num_labels, sizeof *logits);
    for (size_t i = 0; i < n; i++) {
        pairs[i].premise = data.records[i].premise;
        pairs[i].hypothesis = data.records[i].hypothesis;
    }
    CHECK(fc_nli_logits(model, pairs, n, NULL, logits, &err) == 0);
    size_t differ = 0;
    for (size_t i = 0; i < n && i < result.evaluated; i++) {
        const float *row = logits + i * (size_t)num_labels;
        int best = 0;
        for (int k = 1; k < num_labels; k++)
            if (row[k] > row[best]) best = k;
        int by_name = fc_label_from_name(fc_model_label_name(model, best));
        if (by_name != result.predicted[i] || data.records[i].label != result.gold[i]) differ++;
    }
    CHECK(differ == 0);
    free(pairs);
    free(logits);
    fc_dataset_free(&data);
    fc_eval_result_free(&result);
}

static void test_fixture_model_run(void) {
    char model_dir[512], data_path[512];
    snprintf(model_dir, sizeof model_dir, "%s/modernbert/tiny-mean", fc_test_fixtures_dir());
    snprintf(data_path, sizeof data_path, "%s/nli/anli/anli_v0.1/R1/dev.jsonl",
             fc_test_shared_data_dir());
    char config[600];
    snprintf(config, sizeof config, "%s/config.json", model_dir);
    if (!fc_file_exists(config)) {
        fprintf(stderr, "  no fixture model at %s: run tools/fixtures/modernbert.py\n", model_dir);
        return;
    }
    fc_model *model = NULL;
    fc_error err;
    CHECK(fc_model_load(model_dir, &model, &err) == 0);
    if (!model) return;
    // The fixture's id2label is contradiction, entailment, neutral: not the canonical order.
    int alignment[3];
    CHECK(fc_eval_label_alignment(model, alignment, &err) == 0);
    CHECK(alignment[0] == FC_LABEL_CONTRADICTION && alignment[1] == FC_LABEL_ENTAILMENT &&
          alignment[2] == FC_LABEL_NEUTRAL);
    // 100 rows: within one chunk of the run, over four batches of 32.
    check_run(model, data_path, 100, "tiny-mean");

    // Two files into one result: the counts and the evaluated rows add up.
    fc_eval_options options = fc_eval_default_options();
    options.max_rows = 20;
    fc_eval_result both;
    fc_eval_result_init(&both);
    char wanli[512];
    snprintf(wanli, sizeof wanli, "%s/nli/wanli/train_sample.jsonl", fc_test_shared_data_dir());
    CHECK(fc_eval_file(model, data_path, FC_FORMAT_AUTO, NULL, &options, &both, &err) == 0);
    CHECK(fc_eval_file(model, wanli, FC_FORMAT_AUTO, NULL, &options, &both, &err) == 0);
    fc_eval_result_finish(&both);
    CHECK(both.evaluated == 40 && both.metrics.total == 40);
    CHECK(both.counts.kept == 40);
    fc_eval_result_free(&both);

    // A bad row names FILE:LINE through the run, as the reader does.
    char broken[256];
    snprintf(broken, sizeof broken, "%s/broken.jsonl", temp_dir);
    FILE *f = fopen(broken, "wb");
    if (f) {
        fputs("{\"context\": \"c\", \"hypothesis\": \"h\", \"label\": \"e\", \"uid\": \"1\"}\n"
              "{\"context\": \"c\", \"hypothesis\": \"h\", \"label\": \"x\", \"uid\": \"2\"}\n", f);
        fclose(f);
    }
    fc_eval_result_init(&both);
    CHECK(fc_eval_file(model, broken, FC_FORMAT_ANLI, NULL, NULL, &both, &err) == -1);
    CHECK(strstr(err.message, "broken.jsonl:2: label \"x\"") != NULL);
    fc_eval_result_free(&both);
    fc_model_free(model);

    // Renaming the labels changes which canonical label each id means, and the predictions
    // follow the names: the check inside check_run reads them through the new id2label.
    const char *relabeled = relabeled_model(
        model_dir, "{\"0\": \"neutral\", \"1\": \"contradiction\", \"2\": \"entailment\"}");
    CHECK(relabeled != NULL);
    if (relabeled && fc_model_load(relabeled, &model, &err) == 0) {
        CHECK(fc_eval_label_alignment(model, alignment, &err) == 0);
        CHECK(alignment[0] == FC_LABEL_NEUTRAL && alignment[2] == FC_LABEL_ENTAILMENT);
        check_run(model, data_path, 100, "relabeled");
        fc_model_free(model);
    }
    // A model with a label that is no NLI label cannot be scored.
    relabeled = relabeled_model(
        model_dir, "{\"0\": \"LABEL_0\", \"1\": \"entailment\", \"2\": \"neutral\"}");
    if (relabeled && fc_model_load(relabeled, &model, &err) == 0) {
        CHECK(fc_eval_label_alignment(model, alignment, &err) == -1);
        CHECK(strstr(err.message, "LABEL_0") != NULL);
        fc_eval_result_init(&both);
        CHECK(fc_eval_file(model, data_path, FC_FORMAT_AUTO, NULL, NULL, &both, &err) == -1);
        fc_eval_result_free(&both);
        fc_model_free(model);
    }
    char command[256];
    snprintf(command, sizeof command, "rm -rf '%s/relabeled'", temp_dir);
    if (system(command) != 0) fprintf(stderr, "  could not remove %s/relabeled\n", temp_dir);
    unlink(broken);
}

// ---------------------------------------------------------------------------------------------
// Report files, the suite, peak memory

static void test_report_files(void) {
    const char *files_a[] = {"a.jsonl"};
    const char *files_b[] = {"b1.csv", "b,2.csv"};
    fc_eval_column columns[3] = {
        {.name = "alpha", .files = files_a, .n_files = 1},
        {.name = "beta", .files = files_b, .n_files = 2, .note = "two files"},
        {.name = "gamma", .files = files_a, .n_files = 1, .missing = 1},
    };
    fc_eval_result results[3];
    for (int i = 0; i < 3; i++) fc_eval_result_init(&results[i]);
    int g[] = {0, 1, 2, 2}, p[] = {0, 2, 2, 1};
    fc_error err;
    CHECK(fc_metrics_from_labels(g, p, 4, &results[0].metrics, &err) == 0);
    results[0].evaluated = 4;
    results[0].counts.read = 5;
    results[0].counts.kept = 4;
    results[0].counts.skipped[FC_SKIP_NO_GOLD_LABEL] = 1;
    results[0].seconds = 0.5;
    CHECK(fc_metrics_from_labels(g, g, 4, &results[1].metrics, &err) == 0);
    results[1].evaluated = 4;
    results[1].seconds = 1.5;
    fc_eval_row row = {.model = "models/x-nli/", .results = results, .evaluated = 8,
                       .seconds = 2.0, .peak_rss_bytes = 3 << 20, .peak_is_per_model = 1};
    fc_eval_report report = {.columns = columns, .n_columns = 3, .rows = &row, .n_rows = 1,
                             .batch_size = 32};
    CHECK_CLOSE(fc_eval_row_samples_per_second(&row), 4.0, 1e-12);

    char csv_path[128], json_path[128], table_path[128];
    snprintf(csv_path, sizeof csv_path, "%s/report.csv", temp_dir);
    snprintf(json_path, sizeof json_path, "%s/report.json", temp_dir);
    snprintf(table_path, sizeof table_path, "%s/table.txt", temp_dir);
    CHECK(fc_eval_report_write_csv(csv_path, &report, &err) == 0);
    CHECK(fc_eval_report_write_json(json_path, &report, &err) == 0);
    FILE *table = fopen(table_path, "wb");
    if (table) {
        fc_eval_report_print(table, &report);
        fclose(table);
    }

    // The table: the model's folder name, accuracy to four places, '-' for the missing column.
    char *text = NULL;
    CHECK(fc_read_file(table_path, &text, NULL, &err) == 0);
    if (text) {
        CHECK(strstr(text, "x-nli") != NULL);
        CHECK(strstr(text, "0.5000") != NULL && strstr(text, "1.0000") != NULL);
        CHECK(strstr(text, "     -") != NULL);
        CHECK(strstr(text, "samples/s") != NULL && strstr(text, "peak MB") != NULL);
    }
    free(text);

    // The CSV, read back with the data readers' own CSV parser: 3 data lines of equal width.
    fc_reader_options options = fc_reader_default_options();
    options.premise_column = "model";
    options.hypothesis_column = "files";
    fc_dataset data;
    CHECK(fc_dataset_read(csv_path, FC_FORMAT_CSV, &options, &data, &err) == 0);
    CHECK(data.count == 3);
    if (data.count == 3) CHECK(strcmp(data.records[1].hypothesis, "b1.csv;b,2.csv") == 0);
    fc_dataset_free(&data);

    cJSON *json = load_json(json_path);
    CHECK(json != NULL);
    if (json) {
        const cJSON *model = cJSON_GetArrayItem(cJSON_GetObjectItem(json, "models"), 0);
        CHECK(strcmp(cJSON_GetObjectItem(model, "name")->valuestring, "x-nli") == 0);
        CHECK_CLOSE(cJSON_GetObjectItem(model, "samples_per_second")->valuedouble, 4.0, 1e-12);
        CHECK_CLOSE(cJSON_GetObjectItem(model, "peak_rss_mb")->valuedouble, 3.0, 1e-12);
        const cJSON *datasets = cJSON_GetObjectItem(model, "datasets");
        CHECK(cJSON_GetArraySize(datasets) == 3);
        const cJSON *alpha = cJSON_GetArrayItem(datasets, 0);
        CHECK_CLOSE(cJSON_GetObjectItem(alpha, "accuracy")->valuedouble, 0.5, 1e-12);
        CHECK_CLOSE(cJSON_GetObjectItem(alpha, "macro_f1")->valuedouble,
                    results[0].metrics.macro_f1, 1e-12);
        const cJSON *cm = cJSON_GetObjectItem(alpha, "confusion_matrix");
        CHECK(cJSON_GetArrayItem(cJSON_GetArrayItem(cm, 1), 2)->valueint == 1);
        const cJSON *neutral =
            cJSON_GetObjectItem(cJSON_GetObjectItem(alpha, "per_class"), "neutral");
        CHECK_CLOSE(cJSON_GetObjectItem(neutral, "precision")->valuedouble, 0.0, 1e-12);
        CHECK(cJSON_GetObjectItem(cJSON_GetObjectItem(alpha, "skipped"), "gold label -")
                  ->valueint == 1);
        CHECK(cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetArrayItem(datasets, 2), "missing")));
        cJSON_Delete(json);
    }
    // No .part file is left behind.
    char part[160];
    snprintf(part, sizeof part, "%s.part", json_path);
    CHECK(access(part, F_OK) != 0);
    unlink(csv_path);
    unlink(json_path);
    unlink(table_path);
}

static void test_finecat_suite(void) {
    size_t n;
    const fc_suite_column *columns = fc_eval_suite("finecat", &n);
    CHECK(columns != NULL && n == 9);
    if (!columns) return;
    const char *names[] = {"finecat", "mnli",    "mnli_mismatched", "snli",   "anli_r1",
                           "anli_r2", "anli_r3", "wanli",           "lingnli"};
    for (size_t i = 0; i < n && i < 9; i++) {
        CHECK(strcmp(columns[i].name, names[i]) == 0);
        // Every file but FineCat's own test split is in shared/data.
        for (int f = 0; f < 2 && columns[i].files[f]; f++) {
            char path[512];
            snprintf(path, sizeof path, "%s/nli/%s", fc_test_shared_data_dir(),
                     columns[i].files[f]);
            CHECK(fc_file_exists(path) == (i != 0));
        }
    }
    CHECK(fc_eval_suite("glue", &n) == NULL && n == 0);
}

static void test_peak_memory(void) {
    CHECK(fc_peak_rss_reset() == 0); // Linux, which CI runs on
    uint64_t before = fc_peak_rss_bytes();
    // mmap, not malloc: allocators (and AddressSanitizer's quarantine) may keep freed memory.
    size_t size = 64u << 20;
    char *block = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(block != MAP_FAILED);
    if (block == MAP_FAILED) return;
    for (size_t i = 0; i < size; i += 4096) block[i] = (char)i; // make the pages resident
    uint64_t with_block = fc_peak_rss_bytes();
    CHECK(with_block >= before + size - (4u << 20));
    munmap(block, size);
    CHECK(fc_peak_rss_reset() == 0);
    CHECK(fc_peak_rss_bytes() + (32u << 20) < with_block);
}

// ---------------------------------------------------------------------------------------------
// `finecat eval` as a user runs it

static const char *finecat_bin(void) {
    const char *env = getenv("FINECAT_BIN");
    return env ? env : "build/finecat";
}

static void test_eval_command(void) {
    char model_dir[512];
    snprintf(model_dir, sizeof model_dir, "%s/modernbert/tiny-mean", fc_test_fixtures_dir());
    if (access(finecat_bin(), X_OK) != 0) {
        fprintf(stderr, "  no program at %s (set FINECAT_BIN): finecat eval not run\n",
                finecat_bin());
        return;
    }
    char json_path[128], out_path[128], err_path[128], command[2048];
    snprintf(json_path, sizeof json_path, "%s/eval.json", temp_dir);
    snprintf(out_path, sizeof out_path, "%s/eval.out", temp_dir);
    snprintf(err_path, sizeof err_path, "%s/eval.err", temp_dir);
    snprintf(command, sizeof command,
             "%s eval --model %s --suite finecat --data-dir %s --data anli_r1=%s/nli/anli/"
             "anli_v0.1/R1/dev.jsonl --max-rows 30 --json %s >%s 2>%s",
             finecat_bin(), model_dir, fc_test_shared_data_dir(), fc_test_shared_data_dir(),
             json_path, out_path, err_path);
    int raw = system(command);
    int status = raw != -1 && WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
    CHECK(status == 0);
    char *out = NULL, *errors = NULL;
    fc_error err;
    fc_read_file(out_path, &out, NULL, &err);
    fc_read_file(err_path, &errors, NULL, &err);
    if (status != 0) fprintf(stderr, "  finecat eval: %s\n", errors ? errors : "");
    // The table has the article's columns and '-' for the missing finecat split.
    CHECK(out && strstr(out, "mnli_mismatched") && strstr(out, "lingnli") && strstr(out, "-"));
    CHECK(errors && strstr(errors, "finecat/test.jsonl not found"));
    free(out);
    free(errors);

    // Its anli_r1 column (replaced by --data) equals the library's run over the same 30 rows.
    cJSON *json = load_json(json_path);
    CHECK(json != NULL);
    if (json) {
        const cJSON *model = cJSON_GetArrayItem(cJSON_GetObjectItem(json, "models"), 0);
        const cJSON *anli = cJSON_GetArrayItem(cJSON_GetObjectItem(model, "datasets"), 4);
        CHECK(strcmp(cJSON_GetObjectItem(anli, "name")->valuestring, "anli_r1") == 0);
        CHECK(strstr(cJSON_GetArrayItem(cJSON_GetObjectItem(anli, "files"), 0)->valuestring,
                     "R1/dev.jsonl") != NULL);
        CHECK(cJSON_GetObjectItem(anli, "evaluated")->valueint == 30);
        fc_model *m;
        if (fc_model_load(model_dir, &m, &err) == 0) {
            fc_eval_options options = fc_eval_default_options();
            options.max_rows = 30;
            fc_eval_result result;
            fc_eval_result_init(&result);
            char data_path[512];
            snprintf(data_path, sizeof data_path, "%s/nli/anli/anli_v0.1/R1/dev.jsonl",
                     fc_test_shared_data_dir());
            CHECK(fc_eval_file(m, data_path, FC_FORMAT_AUTO, NULL, &options, &result, &err) == 0);
            fc_eval_result_finish(&result);
            CHECK_CLOSE(cJSON_GetObjectItem(anli, "accuracy")->valuedouble,
                        result.metrics.accuracy, 1e-12);
            fc_eval_result_free(&result);
            fc_model_free(m);
        }
        cJSON_Delete(json);
    }
    unlink(json_path);
    unlink(out_path);
    unlink(err_path);

    // Usage errors exit 2.
    snprintf(command, sizeof command, "%s eval --model %s >/dev/null 2>&1", finecat_bin(),
             model_dir);
    raw = system(command);
    CHECK(raw != -1 && WIFEXITED(raw) && WEXITSTATUS(raw) == 2);
}

void suite_eval(void) {
    snprintf(temp_dir, sizeof temp_dir, "/tmp/finecat_test_eval_XXXXXX");
    if (!mkdtemp(temp_dir)) {
        CHECK(!"cannot create a temporary folder");
        return;
    }
    cJSON *reference = metrics_reference();
    CHECK(reference != NULL);
    if (reference) {
        test_metrics_against_sklearn(reference);
        test_reference_gold_is_anli(reference);
        cJSON_Delete(reference);
    }
    test_metrics_edges();
    test_predict_by_name();
    test_fixture_model_run();
    test_report_files();
    test_finecat_suite();
    test_peak_memory();
    test_eval_command();
    if (rmdir(temp_dir) != 0) fprintf(stderr, "  could not remove %s\n", temp_dir);
}
