// Long work and rough edges (issue 16): progress on every long command (counts that match what
// was asked, plain lines when standard error is a file, --quiet), nice axis ticks on every SVG,
// eval's confusion-matrix pictures, bench's cleanup on SIGTERM, predict on native data files,
// train's loss rule and output-folder rule, the example curation config, --help everywhere.
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "eval/confusion_svg.h"
#include "harness.h"
#include "kernels/cpu/gemm_f16.h"
#include "train/report.h"
#include "util/axis.h"
#include "util/file.h"
#include "util/progress.h"

static char temp_dir[] = "/tmp/finecat-long-work-XXXXXX";

static const char *finecat_bin(void) {
    const char *env = getenv("FINECAT_BIN");
    return env ? env : "build/finecat";
}

// The file's text, or "" when it cannot be read.
static char *read_text(const char *path) {
    char *data = NULL;
    fc_error err;
    if (fc_read_file(path, &data, NULL, &err) != 0) return strdup("");
    return data;
}

static void write_text(const char *path, const char *text) {
    FILE *f = fopen(path, "wb");
    if (!f) return;
    fputs(text, f);
    fclose(f);
}

static char *temp_path(const char *name) {
    return fc_path_join(temp_dir, name);
}

typedef struct cli_result {
    int status;
    char *out;
    char *err;
} cli_result;

// Runs `finecat ARGS` (shell text) with standard output and error to files: standard error is
// no terminal, so progress comes as plain lines.
static cli_result run_cli(const char *args) {
    char *out_path = temp_path("cli.out"), *err_path = temp_path("cli.err");
    size_t size = strlen(finecat_bin()) + strlen(args) + strlen(out_path) + strlen(err_path) + 32;
    char *command = malloc(size);
    snprintf(command, size, "%s %s </dev/null >%s 2>%s", finecat_bin(), args, out_path,
             err_path);
    int raw = system(command);
    free(command);
    cli_result r = {raw != -1 && WIFEXITED(raw) ? WEXITSTATUS(raw) : -1, read_text(out_path),
                    read_text(err_path)};
    free(out_path);
    free(err_path);
    return r;
}

static void cli_free(cli_result *r) {
    free(r->out);
    free(r->err);
}

static int contains(const char *text, const char *needle) {
    return strstr(text, needle) != NULL;
}

static size_t count_lines(const char *text) {
    size_t n = 0;
    for (; *text; text++) n += *text == '\n';
    return n;
}

// Records of a line-based file: non-blank lines, a last one without its newline included.
static size_t count_records(const char *text) {
    size_t n = 0;
    for (const char *line = text; *line;) {
        const char *end = strchr(line, '\n');
        size_t length = end ? (size_t)(end - line) : strlen(line);
        int blank = 1;
        for (size_t i = 0; i < length; i++)
            if (!isspace((unsigned char)line[i])) blank = 0;
        n += !blank;
        if (!end) break;
        line = end + 1;
    }
    return n;
}

static const char *shipped_model(void) {
    return "models/finecat-nli-minilm";
}

static int have_shipped_model(void) {
    return fc_file_exists("models/finecat-nli-minilm/config.json");
}

// ---------------------------------------------------------------------------------------------
// The progress module

static void test_progress_lines(void) {
    char *path = temp_path("progress.txt");
    FILE *f = fopen(path, "w+");
    CHECK(f != NULL);
    if (!f) {
        free(path);
        return;
    }
    fc_progress p;
    fc_progress_start_count(&p, f, "work", "pairs", 100);
    CHECK(!p.terminal);
    // Within the first second tenths print nothing: quick work gets its closing line only.
    for (uint64_t i = 1; i <= 30; i++) fc_progress_update(&p, i, i);
    long quiet_size = ftell(f);
    CHECK(quiet_size == 0);
    // Later, each tenth reached prints one line with the count out of what was asked.
    p.start -= 5.0;
    fc_progress_update(&p, 35, 35);
    fc_progress_update(&p, 36, 36); // still the same tenth: nothing
    fc_progress_update(&p, 55, 55);
    fc_progress_update(&p, 100, 100); // the whole: left to the closing line
    fc_progress_end(&p, 100);
    fflush(f);
    fclose(f);
    char *text = read_text(path);
    CHECK(count_lines(text) == 3);
    CHECK(contains(text, "work: 35/100 pairs (35%)"));
    CHECK(contains(text, "ETA"));
    CHECK(contains(text, "work: 55/100 pairs (55%)"));
    CHECK(contains(text, "work: 100/100 pairs in "));
    CHECK(!contains(text, "36/100") && !contains(text, "\r"));
    free(text);

    // No stream: nothing at all, and no crash.
    fc_progress q;
    fc_progress_start(&q, NULL, "none", 10);
    fc_progress_update(&q, 5, 5);
    fc_progress_end(&q, 10);

    // A fraction of bytes with a row count: "N rows (P%)", no total count.
    f = fopen(path, "w+");
    fc_progress_start(&p, f, "read", 1000);
    p.start -= 5.0;
    fc_progress_update(&p, 500, 42);
    fclose(f);
    text = read_text(path);
    CHECK(strcmp(text, "") != 0 && contains(text, "read: 42 rows (50%)"));
    free(text);

    char s[32];
    fc_progress_format_seconds(s, sizeof s, 7.2);
    CHECK(strcmp(s, "7 s") == 0);
    fc_progress_format_seconds(s, sizeof s, 125);
    CHECK(strcmp(s, "2:05") == 0);
    fc_progress_format_seconds(s, sizeof s, 3723);
    CHECK(strcmp(s, "1:02:03") == 0);
    free(path);
}

// ---------------------------------------------------------------------------------------------
// Axis ticks

// 1, 2 or 5 times a power of ten.
static int is_nice(double step) {
    double power = pow(10.0, floor(log10(step) + 1e-9));
    double m = step / power;
    return fabs(m - 1) < 1e-9 || fabs(m - 2) < 1e-9 || fabs(m - 5) < 1e-9;
}

static void test_axis(void) {
    // The training plot's old ticks were the data's maximum cut in four: 0.494, 0.987, 1.48.
    fc_axis a = fc_axis_nice(0, 1.975, 5, 0);
    CHECK(a.step == 0.5 && a.lo == 0 && a.hi == 2.0 && a.n_ticks == 5 && a.decimals == 1);
    char label[32];
    fc_axis_format(&a, fc_axis_tick(&a, 3), label, sizeof label);
    CHECK(strcmp(label, "1.5") == 0);
    a = fc_axis_nice(0, 1, 5, 0);
    CHECK(a.n_ticks == 6 && fabs(a.step - 0.2) < 1e-12);
    fc_axis_format(&a, fc_axis_tick(&a, 3), label, sizeof label);
    CHECK(strcmp(label, "0.6") == 0); // 0.2 * 3 is 0.6000000000000001 in binary
    a = fc_axis_nice(0, 1686, 6, 1);
    CHECK(a.step == 500 && a.hi == 2000 && a.decimals == 0);
    a = fc_axis_nice(0, 3, 5, 1); // counts: never a fractional step
    CHECK(a.step == 1 && a.n_ticks == 4);
    a = fc_axis_nice(0, 0, 5, 1); // empty data still gets an axis
    CHECK(a.hi > a.lo && a.n_ticks >= 2);
    a = fc_axis_nice(-0.37, 0.81, 5, 0);
    CHECK(a.step == 0.5 && a.lo == -0.5 && a.hi == 1.0 && a.n_ticks == 4);
    fc_axis_format(&a, fc_axis_tick(&a, 1), label, sizeof label);
    CHECK(strcmp(label, "0.0") == 0); // not "-0.0"

    // Every range: a nice step, a range that encloses the data, a sensible tick count.
    int bad = 0;
    unsigned seed = 7;
    for (int i = 0; i < 5000; i++) {
        seed = seed * 1103515245u + 12345u;
        double lo = ((seed >> 8) % 2000) / 100.0 - 10.0;
        seed = seed * 1103515245u + 12345u;
        double span = pow(10.0, ((seed >> 8) % 900) / 100.0 - 4.0);
        int target = 2 + i % 8;
        fc_axis x = fc_axis_nice(lo, lo + span, target, 0);
        if (!is_nice(x.step) || x.lo > lo + 1e-9 * x.step || x.hi < lo + span - 1e-9 * x.step ||
            x.n_ticks < 2 || x.n_ticks > 2 * target + 2)
            bad++;
    }
    CHECK(bad == 0);
    printf("  axis      5,000 random ranges: steps of 1, 2, 5 x 10^k enclosing the data\n");
}

// The labels of the <text> elements whose attribute list contains `marker`.
static int svg_labels(const char *svg, const char *marker, double *values, int most) {
    int n = 0;
    for (const char *p = svg; (p = strstr(p, "<text")) != NULL && n < most; p++) {
        const char *end = strchr(p, '>');
        if (!end) break;
        size_t attrs = (size_t)(end - p);
        char *head = strndup(p, attrs);
        int match = strstr(head, marker) != NULL;
        free(head);
        if (match) values[n++] = strtod(end + 1, NULL);
    }
    return n;
}

static void test_train_plot_ticks(void) {
    fc_train_log log;
    const char *names[] = {"dev"};
    fc_train_log_init(&log, 1, names);
    for (long s = 1; s <= 37; s++) {
        double acc = s == 37 ? 0.61 : NAN;
        fc_log_row row = {.step = s, .loss = 1.975 - 0.04 * s, .ce = 1.9 - 0.04 * s,
                          .eval_accuracy = &acc};
        fc_train_log_add(&log, &row);
    }
    char *svg_path = temp_path("plot.svg");
    fc_error err;
    CHECK(fc_train_log_write_svg(&log, svg_path, "ticks", &err) == 0);
    char *svg = read_text(svg_path);
    double values[64];
    // y labels are right-aligned; x labels centered.
    int n = svg_labels(svg, "text-anchor='end'", values, 64);
    int nice = n > 0;
    for (int i = 0; i < n; i++) {
        double scaled = values[i] * 10;
        if (fabs(scaled - round(scaled)) > 1e-9) nice = 0; // 0, 0.5, 1, 1.5, 2; 0, 0.2, ...
    }
    CHECK(nice && !contains(svg, ">0.494<") && !contains(svg, ">1.48<"));
    CHECK(contains(svg, ">1.5<") && contains(svg, ">0.6<"));
    n = svg_labels(svg, "text-anchor='middle'>", values, 64);
    CHECK(contains(svg, ">40<") && contains(svg, ">10<")); // steps 0, 10, 20, 30, 40
    free(svg);
    free(svg_path);
    fc_train_log_free(&log);
}

// ---------------------------------------------------------------------------------------------
// eval: progress counts what was asked, --quiet, confusion matrices

static const char *mnli_subset(void) {
    static char path[512];
    snprintf(path, sizeof path, "%s/nli/mnli/native_subsets/multinli_dev_matched_subset1000.jsonl",
             fc_test_shared_data_dir());
    return path;
}

static void test_eval_progress_and_confusion(void) {
    if (!have_shipped_model() || !fc_file_exists(mnli_subset())) {
        printf("  eval      skipped: no shipped model or no MNLI subset\n");
        return;
    }
    char *json = temp_path("eval.json"), args[1024];
    snprintf(args, sizeof args, "eval --model %s --data mnli=%s --max-rows 200 --json %s",
             shipped_model(), mnli_subset(), json);
    cli_result r = run_cli(args);
    CHECK(r.status == 0);
    // The closing line counts the 200 rows asked for, not the file's 1,000; every plain line
    // counts out of 200, never more, never a carriage return.
    CHECK(contains(r.err, "eval finecat-nli-minilm mnli: 200/200 rows in "));
    CHECK(!contains(r.err, "\r") && !contains(r.err, "/1000"));
    for (const char *p = r.err; (p = strstr(p, "mnli: ")) != NULL; p++) {
        unsigned done, total;
        if (sscanf(p, "mnli: %u/%u rows", &done, &total) == 2) CHECK(total == 200 && done <= 200);
    }
    // A confusion matrix per data set, next to the report, holding the report's counts.
    char *svg_path = fc_confusion_svg_path(json, 0, 1, "mnli");
    CHECK(strstr(svg_path, "eval.confusion.mnli.svg") != NULL);
    CHECK(fc_file_exists(svg_path));
    char *svg = read_text(svg_path), *report = read_text(json);
    cJSON *root = cJSON_Parse(report);
    // Every count of the report's matrix is a cell of the picture, in order.
    const cJSON *model = cJSON_GetArrayItem(cJSON_GetObjectItem(root, "models"), 0);
    const cJSON *set = cJSON_GetArrayItem(cJSON_GetObjectItem(model, "datasets"), 0);
    const cJSON *matrix = cJSON_GetObjectItem(set, "confusion_matrix");
    double cells[16];
    int n = svg_labels(svg, "class=\"count\"", cells, 16);
    CHECK(n == 9);
    int same = matrix != NULL, total = 0;
    int k = 0;
    const cJSON *row;
    cJSON_ArrayForEach(row, matrix) {
        const cJSON *cell;
        cJSON_ArrayForEach(cell, row) {
            if (k >= n || cells[k] != cell->valuedouble) same = 0;
            total += (int)cell->valuedouble;
            k++;
        }
    }
    CHECK(same && k == 9 && total == 200);
    CHECK(contains(svg, "200 records, accuracy"));
    cJSON_Delete(root);
    free(report);
    free(svg);
    free(svg_path);
    cli_free(&r);

    snprintf(args, sizeof args, "eval --model %s --data mnli=%s --max-rows 40 --quiet",
             shipped_model(), mnli_subset());
    r = run_cli(args);
    CHECK(r.status == 0 && r.err[0] == '\0' && contains(r.out, "mnli"));
    cli_free(&r);
    free(json);
}

// ---------------------------------------------------------------------------------------------
// predict on native data files

static void test_predict_native(void) {
    if (!have_shipped_model() || !fc_file_exists(mnli_subset())) {
        printf("  predict   skipped: no shipped model or no MNLI subset\n");
        return;
    }
    // The first 60 rows of the MultiNLI file, as it is published (sentence1, gold_label, ...).
    char *sample = temp_path("mnli60.jsonl"), *out = temp_path("mnli60.pred.jsonl");
    char *all = read_text(mnli_subset());
    char *cut = all;
    for (int i = 0; i < 60 && cut && *cut; i++) {
        cut = strchr(cut, '\n');
        if (cut) cut++;
    }
    if (cut) *cut = '\0';
    write_text(sample, all);
    // The ids and gold labels expected, in order; "-" rows are the reader's to skip.
    char ids[60][32], golds[60][16];
    int expected = 0, dashes = 0;
    for (char *line = all; line && *line;) {
        char *next = strchr(line, '\n');
        if (next) *next = '\0';
        cJSON *j = cJSON_Parse(line);
        const char *gold = cJSON_GetStringValue(cJSON_GetObjectItem(j, "gold_label"));
        if (gold && strcmp(gold, "-") == 0) {
            dashes++;
        } else if (gold && expected < 60) {
            snprintf(ids[expected], sizeof ids[0], "%s",
                     cJSON_GetStringValue(cJSON_GetObjectItem(j, "pairID")));
            snprintf(golds[expected], sizeof golds[0], "%s", gold);
            expected++;
        }
        cJSON_Delete(j);
        line = next ? next + 1 : NULL;
    }
    free(all);
    char args[1024];
    snprintf(args, sizeof args, "predict --model %s --input %s --output %s", shipped_model(),
             sample, out);
    cli_result r = run_cli(args);
    CHECK(r.status == 0);
    if (r.status != 0) fprintf(stderr, "%s", r.err);
    char *text = read_text(out);
    CHECK((int)count_lines(text) == expected);
    int in_order = 1, k = 0;
    for (char *line = text; line && *line && k < expected; k++) {
        char *next = strchr(line, '\n');
        if (next) *next = '\0';
        cJSON *j = cJSON_Parse(line);
        const char *id = cJSON_GetStringValue(cJSON_GetObjectItem(j, "id"));
        const char *gold = cJSON_GetStringValue(cJSON_GetObjectItem(j, "gold_label"));
        const char *label = cJSON_GetStringValue(cJSON_GetObjectItem(j, "label"));
        if (!id || strcmp(id, ids[k]) != 0 || !gold || strcmp(gold, golds[k]) != 0 || !label ||
            !cJSON_IsObject(cJSON_GetObjectItem(j, "probabilities")))
            in_order = 0;
        cJSON_Delete(j);
        line = next ? next + 1 : NULL;
    }
    CHECK(in_order && k == expected);
    char closing[64];
    snprintf(closing, sizeof closing, "predict: %d records in ", expected);
    CHECK(contains(r.err, closing));
    if (dashes) CHECK(contains(r.err, "gold label -"));
    free(text);
    cli_free(&r);

    // --quiet: no progress (a reader's skip count is a result, not progress).
    snprintf(args, sizeof args, "predict --model %s --input %s --output %s --quiet",
             shipped_model(), sample, out);
    r = run_cli(args);
    CHECK(r.status == 0 && !contains(r.err, "predict:"));
    cli_free(&r);

    // A generic CSV with named columns, as eval and train take them.
    char *csv = temp_path("pairs.csv");
    write_text(csv, "first,second,gold\n"
                    "A man sleeps on a bench.,A person rests.,entailment\n"
                    "\"A dog runs, fast.\",A cat sleeps.,contradiction\n");
    snprintf(args, sizeof args,
             "predict --model %s --input %s --premise-col first --hypothesis-col second "
             "--label-col gold --quiet", shipped_model(), csv);
    r = run_cli(args);
    CHECK(r.status == 0 && count_lines(r.out) == 2);
    CHECK(contains(r.out, "\"premise\":\"A dog runs, fast.\"") &&
          contains(r.out, "\"gold_label\":\"contradiction\""));
    cli_free(&r);
    // Column options read a file, not standard input.
    snprintf(args, sizeof args, "predict --model %s --format csv", shipped_model());
    r = run_cli(args);
    CHECK(r.status == 2 && contains(r.err, "--input FILE"));
    cli_free(&r);
    free(csv);
    free(sample);
    free(out);
}

// ---------------------------------------------------------------------------------------------
// bench: progress, and no random checkpoint left behind by SIGTERM

static const char *tiny_config(void) {
    static char path[512];
    snprintf(path, sizeof path, "%s/modernbert/tiny-cls/config.json", fc_test_fixtures_dir());
    return path;
}

static void test_bench_progress(void) {
    char args[1024];
    snprintf(args, sizeof args,
             "bench --config %s --random-weights --pairs 40 --repeats 2 --no-gemm-probe "
             "--threads 1", tiny_config());
    cli_result r = run_cli(args);
    CHECK(r.status == 0);
    CHECK(contains(r.err, "bench passes: 80/80 pairs in "));
    CHECK(contains(r.out, "pairs            40,"));
    cli_free(&r);
    snprintf(args, sizeof args,
             "bench --config %s --random-weights --pairs 40 --repeats 1 --no-gemm-probe "
             "--threads 1 --quiet", tiny_config());
    r = run_cli(args);
    CHECK(r.status == 0 && r.err[0] == '\0');
    cli_free(&r);
}

// bench names the bf16 layers' kernel: FINECAT_BF16_MATMUL=0 with FINECAT_F16_KERNEL=0 widens
// them to fp32 on any CPU, saying why; FINECAT_BF16_MATMUL=0 alone puts them on the
// AVX512-FP16 kernel where the CPU has one, saying why not oneDNN's; =1 takes oneDNN's bf16
// matmul where oneDNN has one (AVX-512 and above).
static void test_bench_bf16_choice(void) {
    char args[1024];
    snprintf(args, sizeof args,
             "bench --config %s --random-weights --pairs 8 --repeats 1 --no-gemm-probe "
             "--threads 1 --quiet --dtype bf16", tiny_config());
    setenv("FINECAT_BF16_MATMUL", "0", 1);
    setenv("FINECAT_F16_KERNEL", "0", 1);
    cli_result r = run_cli(args);
    CHECK(r.status == 0 &&
          contains(r.out, "dense kernel     fp32 sgemm (widened: FINECAT_BF16_MATMUL=0)"));
    cli_free(&r);
    unsetenv("FINECAT_F16_KERNEL");
    r = run_cli(args);
    CHECK(r.status == 0 &&
          contains(r.out, fc_gemm_f16_usable() ? "dense kernel     finecat:avx512_core_fp16 "
                                                 "(bf16 weights as f16: FINECAT_BF16_MATMUL=0)"
                                               : "dense kernel     fp32 sgemm (widened: "
                                                 "FINECAT_BF16_MATMUL=0)"));
    cli_free(&r);
    setenv("FINECAT_BF16_MATMUL", "1", 1);
    r = run_cli(args);
    int avx512 = __builtin_cpu_supports("avx512f");
    CHECK(r.status == 0 && contains(r.out, "dense kernel     ") &&
          contains(r.out, "(widened") == !avx512);
    cli_free(&r);
    unsetenv("FINECAT_BF16_MATMUL");
    r = run_cli(args);
    CHECK(r.status == 0 && contains(r.out, "dense kernel     "));
    const char *line = strstr(r.out, "dense kernel     ");
    printf("  bench     bf16 here: %.*s\n", line ? (int)strcspn(line + 17, "\n") : 4,
           line ? line + 17 : "none");
    cli_free(&r);
}

static int dir_exists(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static void sleep_ms(long ms) {
    struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&t, NULL);
}

static void test_bench_sigterm(void) {
    char *err_path = temp_path("bench_sigterm.err");
    fflush(stdout); // or the child's freopen writes our buffered lines a second time
    fflush(stderr);
    pid_t child = fork();
    if (child == 0) {
        FILE *e = freopen(err_path, "w", stderr);
        FILE *o = freopen("/dev/null", "w", stdout);
        (void)e;
        (void)o;
        // Passes enough for hours: only the signal ends it.
        execl(finecat_bin(), finecat_bin(), "bench", "--config", tiny_config(),
              "--random-weights", "--pairs", "0", "--repeats", "1000000", "--no-gemm-probe",
              "--threads", "1", (char *)NULL);
        _exit(127);
    }
    CHECK(child > 0);
    if (child <= 0) {
        free(err_path);
        return;
    }
    // Wait (at most 60 s) until the checkpoint is written and the passes run.
    char dir[256] = "";
    for (int i = 0; i < 600; i++) {
        char *text = read_text(err_path);
        const char *at = strstr(text, "checkpoint to ");
        if (at && strstr(text, "timed pass")) sscanf(at + 14, "%255s", dir);
        free(text);
        if (dir[0]) break;
        sleep_ms(100);
    }
    CHECK(dir[0] != '\0' && dir_exists(dir));
    kill(child, SIGTERM);
    int status = 0;
    for (int i = 0; i < 300 && waitpid(child, &status, WNOHANG) == 0; i++) sleep_ms(100);
    if (waitpid(child, &status, WNOHANG) == 0) { // never hang the suite
        kill(child, SIGKILL);
        waitpid(child, &status, 0);
        CHECK(0);
    }
    CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM);
    CHECK(dir[0] != '\0' && !dir_exists(dir));
    printf("  bench     SIGTERM during the passes: exit by the signal, %s removed\n",
           dir[0] ? dir : "(no folder)");
    free(err_path);
}

// bench/compare parses its arguments before importing numpy and torch: --help works without
// them. `python3 -S` leaves site-packages out, as on a machine where they are not installed.
static void test_compare_help(void) {
    if (system("command -v python3 >/dev/null 2>&1") != 0) {
        printf("  compare   skipped: no python3\n");
        return;
    }
    char *out = temp_path("compare.out");
    char command[512];
    snprintf(command, sizeof command, "python3 -S bench/compare --help >%s 2>&1", out);
    int raw = system(command);
    char *text = read_text(out);
    CHECK(raw != -1 && WIFEXITED(raw) && WEXITSTATUS(raw) == 0);
    CHECK(contains(text, "usage: compare") && !contains(text, "Traceback"));
    free(text);
    free(out);
}

// ---------------------------------------------------------------------------------------------
// train: the loss it optimizes, and an --out that already holds a run

static void test_train_rules(void) {
    char init[512], data[512], args[2048];
    snprintf(init, sizeof init, "%s/train/tiny-mean", fc_test_fixtures_dir());
    snprintf(data, sizeof data, "%s/train/rows.jsonl", fc_test_fixtures_dir());
    char tok[512];
    snprintf(tok, sizeof tok, "%s/modernbert/tiny-cls", fc_test_fixtures_dir());
    // CE-only data: the fixture rows without their teacher logits.
    char *ce_data = temp_path("ce_rows.jsonl"), *out = temp_path("run");
    char *rows = read_text(data);
    FILE *f = fopen(ce_data, "w");
    for (char *line = rows; f && line && *line;) {
        char *next = strchr(line, '\n');
        if (next) *next = '\0';
        cJSON *j = cJSON_Parse(line);
        cJSON_DeleteItemFromObject(j, "teacher_logits");
        char *printed = cJSON_PrintUnformatted(j);
        fprintf(f, "%s\n", printed);
        free(printed);
        cJSON_Delete(j);
        line = next ? next + 1 : NULL;
    }
    if (f) fclose(f);
    free(rows);
    const char *common = "--steps 2 --batch-size 4 --threads 1 --lr 1e-3";

    snprintf(args, sizeof args, "train --init %s --tokenizer %s --data %s --out %s %s", init,
             tok, ce_data, out, common);
    cli_result r = run_cli(args);
    CHECK(r.status == 0);
    CHECK(contains(r.err, "loss: L = 1*CE (no row of"));
    CHECK(contains(r.err, "because --alpha was not given"));
    CHECK(contains(r.err, "step 2/2") && contains(r.err, "ETA"));
    cli_free(&r);

    // The same --out again: refused, naming both ways out; nothing of the first run touched.
    r = run_cli(args);
    CHECK(r.status == 1 && contains(r.err, "already holds a training run") &&
          contains(r.err, "--resume") && contains(r.err, "--overwrite"));
    cli_free(&r);
    char *model = fc_path_join(out, "model/model.safetensors");
    CHECK(fc_file_exists(model));
    // --overwrite with a run that cannot start (no such --init) deletes nothing.
    snprintf(args, sizeof args, "train --init %s/nonexistent --tokenizer %s --data %s --out %s %s "
             "--overwrite", temp_dir, tok, ce_data, out, common);
    r = run_cli(args);
    CHECK(r.status == 1 && fc_file_exists(model));
    cli_free(&r);

    // --overwrite starts over (here with --alpha 0.5 given: the gradient is scaled, and said).
    snprintf(args, sizeof args,
             "train --init %s --tokenizer %s --data %s --out %s %s --overwrite --alpha 0.5", init,
             tok, ce_data, out, common);
    r = run_cli(args);
    CHECK(r.status == 0 && contains(r.err, "loss: L = 0.5*CE (") &&
          contains(r.err, "from --alpha"));
    cli_free(&r);

    // --resume continues the run in place (here: it is complete, nothing left to do).
    snprintf(args, sizeof args,
             "train --init %s --tokenizer %s --data %s --out %s %s --resume %s --alpha 0.5", init,
             tok, ce_data, out, common, out);
    r = run_cli(args);
    CHECK(r.status == 0);
    cli_free(&r);
    snprintf(args, sizeof args, "train --data %s --out %s %s --resume %s --overwrite", ce_data,
             out, common, out);
    r = run_cli(args);
    CHECK(r.status == 1 && contains(r.err, "give one of them"));
    cli_free(&r);

    // Data with teacher logits: alpha 0.5, both terms, the rows counted.
    char *out2 = temp_path("run_kd");
    snprintf(args, sizeof args, "train --init %s --tokenizer %s --data %s --out %s %s --quiet",
             init, tok, data, out2, common);
    r = run_cli(args);
    CHECK(r.status == 0 && r.err[0] == '\0');
    cli_free(&r);
    snprintf(args, sizeof args, "train --init %s --tokenizer %s --data %s --out %s %s --overwrite",
             init, tok, data, out2, common);
    r = run_cli(args);
    CHECK(r.status == 0 && contains(r.err, "loss: L = 0.5*CE + 0.5*MSE (alpha 0.5: --alpha not "
                                           "given, the data has teacher logits"));
    cli_free(&r);
    free(model);
    free(out2);
    free(out);
    free(ce_data);
}

// ---------------------------------------------------------------------------------------------
// curate: score progress, and the example config run as written on a cut of its data

static void test_curate_score_progress(void) {
    char model[512], input[512], args[2048];
    snprintf(model, sizeof model, "%s/modernbert/tiny-cls", fc_test_fixtures_dir());
    snprintf(input, sizeof input, "%s/train/rows.jsonl", fc_test_fixtures_dir());
    char *out = temp_path("scored.jsonl");
    snprintf(args, sizeof args, "curate score --input %s --output %s --model %s --shard-size 4",
             input, out, model);
    cli_result r = run_cli(args);
    CHECK(r.status == 0);
    char *text = read_text(input);
    char closing[64];
    snprintf(closing, sizeof closing, "score: %zu rows in ", count_lines(text));
    CHECK(contains(r.err, closing));
    free(text);
    cli_free(&r);
    snprintf(args, sizeof args,
             "curate teacher --input %s --output %s --model %s --restart --quiet", input, out,
             model);
    r = run_cli(args);
    CHECK(r.status == 0 && r.err[0] == '\0');
    cli_free(&r);
    free(out);
}

static size_t file_lines(const char *dir, const char *name) {
    char *path = fc_path_join(dir, name);
    char *text = read_text(path);
    size_t n = count_lines(text);
    free(text);
    free(path);
    return n;
}

static void test_curate_example(void) {
    const char *config_path = "examples/curate.json";
    if (!have_shipped_model() || !fc_file_exists(config_path)) {
        printf("  curate    skipped: no shipped model or no examples/curate.json\n");
        return;
    }
    char *config_text = read_text(config_path);
    cJSON *config = cJSON_Parse(config_text);
    CHECK(config != NULL);
    // A cut of the example's data: the first 40 rows of each input under the same relative
    // path in a data folder of our own; the evaluation files as they are.
    char *data_dir = temp_path("curate_data"), *out_dir = temp_path("curate_out");
    char nli[512];
    snprintf(nli, sizeof nli, "%s/nli", fc_test_shared_data_dir());
    int have_data = 1;
    const cJSON *item;
    const char *lists[2] = {"inputs", "eval_files"};
    for (int l = 0; l < 2; l++) {
        cJSON_ArrayForEach(item, cJSON_GetObjectItem(config, lists[l])) {
            const char *rel = cJSON_GetStringValue(item);
            char *src = fc_path_join(nli, rel), *dst = fc_path_join(data_dir, rel);
            if (!fc_file_exists(src)) have_data = 0;
            char command[2048];
            if (l == 0)
                snprintf(command, sizeof command, "mkdir -p \"$(dirname '%s')\" && head -n 40 '%s' > '%s'",
                         dst, src, dst);
            else
                snprintf(command, sizeof command, "mkdir -p \"$(dirname '%s')\" && ln -sf \"$(realpath '%s')\" '%s'",
                         dst, src, dst);
            if (system(command) != 0) have_data = 0;
            free(src);
            free(dst);
        }
    }
    if (!have_data) {
        printf("  curate    skipped: the example's data files are not in %s\n", nli);
    } else {
        char args[2048];
        snprintf(args, sizeof args, "curate run --config %s --data-dir %s --output-dir %s",
                 config_path, data_dir, out_dir);
        cli_result r = run_cli(args);
        CHECK(r.status == 0);
        if (r.status != 0) fprintf(stderr, "%s", r.err);
        static const char *const outputs[] = {"1-bigcat.jsonl", "2-deduped.jsonl",
                                              "3-scored.jsonl", "4-hist.svg", "5-review.jsonl",
                                              "6-selected.jsonl", "7-finecat.jsonl",
                                              "report.json", "report.md"};
        for (size_t i = 0; i < sizeof outputs / sizeof outputs[0]; i++) {
            char *path = fc_path_join(out_dir, outputs[i]);
            CHECK(fc_file_exists(path));
            free(path);
        }
        // Consistent: every deduped row scored, every selected row has teacher logits, the
        // selection is no larger than what was scored, the inputs' rows all read.
        size_t bigcat = file_lines(out_dir, "1-bigcat.jsonl"),
               deduped = file_lines(out_dir, "2-deduped.jsonl"),
               scored = file_lines(out_dir, "3-scored.jsonl"),
               selected = file_lines(out_dir, "6-selected.jsonl"),
               final = file_lines(out_dir, "7-finecat.jsonl");
        size_t inputs = 0;
        cJSON_ArrayForEach(item, cJSON_GetObjectItem(config, "inputs")) {
            char *dst = fc_path_join(data_dir, cJSON_GetStringValue(item));
            char *t = read_text(dst);
            inputs += count_records(t);
            free(t);
            free(dst);
        }
        CHECK(bigcat > 0 && bigcat <= inputs && deduped <= bigcat);
        CHECK(scored == deduped && selected > 0 && selected <= scored && final == selected);
        char *finecat_path = fc_path_join(out_dir, "7-finecat.jsonl");
        char *finecat = read_text(finecat_path);
        size_t with_logits = 0;
        for (const char *p = finecat; (p = strstr(p, "\"teacher_logits\":[")) != NULL; p++)
            with_logits++;
        CHECK(with_logits == final);
        free(finecat);
        free(finecat_path);
        // The histogram's axes: scores on tenths, counts on whole nice steps.
        char *hist_path = fc_path_join(out_dir, "4-hist.svg");
        char *hist = read_text(hist_path);
        CHECK(contains(hist, ">0.5</text>") && contains(hist, ">1.0</text>"));
        free(hist);
        free(hist_path);
        printf("  curate    examples/curate.json on 40 rows a file: %zu read, %zu deduped, "
               "%zu selected with teacher logits\n", bigcat, deduped, final);
        cli_free(&r);
    }
    cJSON_Delete(config);
    free(config_text);
    free(data_dir);
    free(out_dir);
}

// ---------------------------------------------------------------------------------------------
// --help on every command and subcommand

static void test_help_everywhere(void) {
    cli_result top = run_cli("--help");
    CHECK(top.status == 0);
    // The names listed under "Commands:", two spaces in.
    const char *list = strstr(top.out, "Commands:\n");
    int n_commands = 0;
    for (const char *p = list ? list + 10 : ""; *p == ' ' && p[1] == ' ' && isalpha((unsigned char)p[2]);) {
        char name[32];
        if (sscanf(p + 2, "%31s", name) != 1) break;
        char args[64], usage[64];
        snprintf(args, sizeof args, "%s --help", name);
        cli_result r = run_cli(args);
        // `help --help` is the top-level help, whose usage line follows the version line.
        int is_help = strcmp(name, "help") == 0;
        snprintf(usage, sizeof usage, "Usage: finecat %s", is_help ? "COMMAND" : name);
        int ok = r.status == 0 && r.err[0] == '\0' &&
                 (is_help ? contains(r.out, usage) : strncmp(r.out, usage, strlen(usage)) == 0);
        if (!ok) fprintf(stderr, "FAIL: finecat %s --help (exit %d)\n", name, r.status);
        CHECK(ok);
        cli_free(&r);
        n_commands++;
        const char *next = strchr(p, '\n');
        if (!next) break;
        p = next + 1;
    }
    CHECK(n_commands >= 11);
    cli_free(&top);

    cli_result curate = run_cli("curate --help");
    const char *steps = strstr(curate.out, "Steps:\n");
    int n_steps = 0;
    for (const char *p = steps ? steps + 7 : ""; *p == ' ' && p[1] == ' ' && isalpha((unsigned char)p[2]);) {
        char name[32];
        if (sscanf(p + 2, "%31s", name) != 1) break;
        char args[64], usage[64];
        snprintf(args, sizeof args, "curate %s --help", name);
        snprintf(usage, sizeof usage, "Usage: finecat curate %s ", name);
        cli_result r = run_cli(args);
        CHECK(r.status == 0 && strncmp(r.out, usage, strlen(usage)) == 0);
        cli_free(&r);
        n_steps++;
        const char *next = strchr(p, '\n');
        if (!next) break;
        p = next + 1;
    }
    CHECK(n_steps == 8);
    cli_free(&curate);
    printf("  help      %d commands and %d curate steps: --help prints usage, exit 0\n",
           n_commands, n_steps);
}

// The suite removes what it wrote.
static void remove_temp(void) {
    char command[256];
    snprintf(command, sizeof command, "rm -rf '%s'", temp_dir);
    if (system(command) != 0) fprintf(stderr, "could not remove %s\n", temp_dir);
}

void suite_long_work(void) {
    if (!mkdtemp(temp_dir)) {
        CHECK(0);
        return;
    }
    test_progress_lines();
    test_axis();
    test_train_plot_ticks();
    test_help_everywhere();
    test_bench_progress();
    test_bench_bf16_choice();
    test_bench_sigterm();
    test_compare_help();
    test_train_rules();
    test_curate_score_progress();
    test_eval_progress_and_confusion();
    test_predict_native();
    test_curate_example();
    remove_temp();
}
