// `finecat eval`: runs models over NLI data sets and prints the FineCat results table.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/args.h"
#include "cli/commands.h"
#include "cli/dtype_option.h"
#include "cli/default_model.h"
#include "data/dataset.h"
#include "dist/dist.h"
#include "eval/confusion_svg.h"
#include "eval/eval.h"
#include "eval/peak_memory.h"
#include "eval/report.h"
#include "eval/suite.h"
#include "finecat.h"
#include "util/alloc.h"
#include "util/file.h"
#include "util/progress.h"

static const char usage[] =
    "Usage: finecat eval --model DIR [--model DIR ...] (--data NAME=PATH ... | --suite finecat\n"
    "                    --data-dir DIR) [OPTIONS]\n"
    "\n"
    "Runs each model over each data set and prints one row per model: the accuracy (F1-micro)\n"
    "on each data set, then throughput (samples/s over the whole run, tokenization included)\n"
    "and peak resident memory in MB. Predictions are aligned to gold labels by name, so a\n"
    "model's id2label order does not matter. Records without a gold label are not scored.\n"
    "\n"
    "Options:\n"
    "  --dtype T            weights in memory: f32 (default), bf16 or int8 (the\n"
    "                       CPU's matrix engines), f16 (AVX512-FP16 where the CPU\n"
    "                       has it, else fp32 math)\n"
    "  --model DIR          model folder; repeat for several models (default: the model\n"
    "                       that ships with finecat, models/finecat-nli-minilm)\n"
    "  --data NAME=PATH     a data set column; repeat for more. The same NAME twice reads both\n"
    "                       files as one data set. With --suite, a suite column's NAME replaces\n"
    "                       its default file\n"
    "  --suite finecat      the FineCat article's columns: finecat, mnli, mnli_mismatched,\n"
    "                       snli, anli_r1, anli_r2, anli_r3, wanli, lingnli, from --data-dir\n"
    "  --data-dir DIR       folder laid out as shared/data/nli (DIR/nli is used if present).\n"
    "                       A column whose file is missing shows '-'\n"
    "  --format F           data format of every file (default: auto, detected from content):\n"
    "                       finecat, snli-jsonl, snli-txt, snli-csv, senteval, mnli-jsonl,\n"
    "                       glue-tsv, textfooler, anli, wanli, lingnli, nli-fever, cad, sick,\n"
    "                       taxinli, jsonl, csv, tsv\n"
    "  --premise-col NAME, --hypothesis-col NAME, --label-col NAME\n"
    "                       member/column names of generic JSONL/CSV/TSV files\n"
    "  --label-map MAP      label values to labels, e.g. 0=entailment,1=neutral,2=contradiction\n"
    "                       (a target '-' means no gold label), or 'hf' for Hugging Face datasets\n"
    "  --batch-size N       pairs per forward pass (default: 32)\n"
    "  --max-length N       truncate pairs to N tokens (default: the model's max length)\n"
    "  --max-rows N         score at most N labeled records of each file\n"
    "  --on-error MODE      a malformed record: fail (print FILE:LINE and exit 1, the default) or\n"
    "                       skip (print FILE:LINE, count it and go on)\n"
    "  --csv FILE           write one line per model and data set: counts, accuracy, macro-F1,\n"
    "                       per-class precision/recall/F1 and the confusion matrix\n"
    "  --json FILE          the same as JSON\n"
    "                       With --json or --csv, each data set's confusion matrix is also\n"
    "                       drawn as SVG next to it: REPORT.confusion.DATASET.svg (with the\n"
    "                       model's number before DATASET when there are several models)\n"
    "  --quiet              no progress on standard error\n"
    "  -h, --help           show this help\n"
    "\n"
    "Progress goes to standard error: a bar with rate and ETA on a terminal, otherwise a\n"
    "plain line at each tenth of a data set (counted in records when --max-rows is given)\n"
    "and at least every 10 s, and one closing line per data set.\n"
    "Under mpirun (a `make MPI=1` build) the ranks take turns over chunks of 1024 records and\n"
    "rank 0 prints the progress and the same table as one process (throughput: of all ranks\n"
    "together).\n"
    "\n"
    "Example:\n"
    "  finecat eval --model models/ModernCE-large-nli --suite finecat --data-dir ../shared/data \\\n"
    "      --csv results.csv --json results.json\n";

static const char *const on_error_choices[] = {"fail", "skip", NULL};

// --model and --data may repeat, which the shared parser does not do: they are taken out of
// argv first ("--model DIR" and "--model=DIR"), the rest goes to fc_args_parse.
typedef struct string_list {
    const char **items;
    size_t count;
} string_list;

static void list_push(string_list *list, const char *item) {
    list->items = fc_realloc(list->items, (list->count + 1) * sizeof *list->items);
    list->items[list->count++] = item;
}

static int take_repeated(int *argc, char **argv, const char *name, string_list *out) {
    size_t name_len = strlen(name);
    int kept = 1;
    for (int i = 1; i < *argc; i++) {
        char *arg = argv[i];
        if (strcmp(arg, "--") == 0) { // the rest are positional: keep them as they are
            while (i < *argc) argv[kept++] = argv[i++];
            break;
        }
        if (strncmp(arg, name, name_len) == 0 && arg[name_len] == '=') {
            list_push(out, arg + name_len + 1);
        } else if (strcmp(arg, name) == 0) {
            if (i + 1 >= *argc) return fc_args_usage_error("eval", "%s needs a value", name);
            list_push(out, argv[++i]);
        } else {
            argv[kept++] = arg;
        }
    }
    *argc = kept;
    return 0;
}

// ---------------------------------------------------------------------------------------------
// Columns

typedef struct column_set {
    fc_eval_column *columns;
    size_t count;
} column_set;

static fc_eval_column *find_column(column_set *set, const char *name) {
    for (size_t i = 0; i < set->count; i++)
        if (strcmp(set->columns[i].name, name) == 0) return &set->columns[i];
    return NULL;
}

static fc_eval_column *add_column(column_set *set, const char *name) {
    set->columns = fc_realloc(set->columns, (set->count + 1) * sizeof *set->columns);
    fc_eval_column *column = &set->columns[set->count++];
    memset(column, 0, sizeof *column);
    column->name = name;
    return column;
}

static void add_file(fc_eval_column *column, const char *path) {
    column->files = fc_realloc(column->files, (column->n_files + 1) * sizeof *column->files);
    column->files[column->n_files++] = path;
}

static int is_dir(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

// The suite's columns with their files under data_dir. Paths are allocated and owned by
// *allocated, to be freed at the end.
static int add_suite(column_set *set, const char *suite, const char *data_dir,
                     string_list *allocated) {
    size_t n;
    const fc_suite_column *columns = fc_eval_suite(suite, &n);
    if (!columns) return fc_args_usage_error("eval", "--suite: unknown suite '%s' (known: finecat)",
                                             suite);
    if (!data_dir) return fc_args_usage_error("eval", "--suite needs --data-dir DIR");
    char *nli = fc_path_join(data_dir, "nli");
    const char *root = is_dir(nli) ? nli : data_dir;
    for (size_t c = 0; c < n; c++) {
        fc_eval_column *column = add_column(set, columns[c].name);
        column->note = columns[c].note;
        for (int f = 0; f < 2 && columns[c].files[f]; f++) {
            char *path = fc_path_join(root, columns[c].files[f]);
            list_push(allocated, path);
            add_file(column, path);
        }
    }
    list_push(allocated, nli);
    return 0;
}

// --data NAME=PATH. The first --data for a suite column replaces its default files.
static int add_data(column_set *set, size_t n_suite_columns, const char *spec,
                    string_list *allocated, unsigned char *replaced) {
    const char *equals = strchr(spec, '=');
    if (!equals || equals == spec || !equals[1])
        return fc_args_usage_error("eval", "--data: expected NAME=PATH, got '%s'", spec);
    char *name = fc_strndup(spec, (size_t)(equals - spec));
    list_push(allocated, name);
    fc_eval_column *column = find_column(set, name);
    if (!column) column = add_column(set, name);
    size_t index = (size_t)(column - set->columns);
    if (index < n_suite_columns && !replaced[index]) {
        free(column->files);
        column->files = NULL;
        column->n_files = 0;
        column->note = NULL;
        replaced[index] = 1;
    }
    add_file(column, equals + 1);
    return 0;
}

// ---------------------------------------------------------------------------------------------
// Progress

typedef struct progress {
    fc_progress bar;
    size_t file, n_files;
    size_t before;   // records of the column evaluated in its earlier files
    size_t max_rows; // per file, 0 for all: the total is then a fraction of the bytes
} progress;

// Progress of one column: a count of max_rows per file when it is given (what was asked),
// otherwise the share of the column's files read.
static void show_progress(void *context, const fc_reader *reader, size_t evaluated) {
    progress *p = context;
    uint64_t count = p->before + evaluated;
    if (p->max_rows) {
        fc_progress_update(&p->bar, count, count);
        return;
    }
    uint64_t done, total;
    fc_reader_progress(reader, &done, &total);
    double file_fraction = total ? (double)done / (double)total : 0.0;
    if (file_fraction > 1.0) file_fraction = 1.0;
    double fraction = ((double)p->file + file_fraction) / (double)p->n_files;
    fc_progress_update(&p->bar, (uint64_t)(fraction * 1e6), count);
}

static void print_warning(void *context, const char *message) {
    int terminal = *(const int *)context;
    fprintf(stderr, "%s%s\n", terminal ? "\r\033[K" : "", message);
}

// ---------------------------------------------------------------------------------------------
// The run

typedef struct eval_settings {
    fc_dataset_format format;
    fc_reader_options reader;
    fc_eval_options eval;
    int terminal;
    int quiet;
    int dtype; // index into fc_cli_dtypes
} eval_settings;

static const char *model_short_name(const char *path) {
    const char *slash = strrchr(path, '/');
    return slash && slash[1] ? slash + 1 : path;
}

// Runs one model over every present column into row. Returns 0, or -1 after printing why.
static int run_model(const char *model_dir, const column_set *set, eval_settings *settings,
                     fc_eval_row *row) {
    memset(row, 0, sizeof *row);
    row->model = model_dir;
    row->results = fc_calloc(set->count ? set->count : 1, sizeof *row->results);
    for (size_t c = 0; c < set->count; c++) fc_eval_result_init(&row->results[c]);
    // The peak is reset before the model loads, so it covers the weights and every run.
    row->peak_is_per_model = fc_peak_rss_reset() == 0;

    fc_error err;
    fc_model *model = NULL;
    if (fc_cli_load_model(model_dir, settings->dtype, &model, &err) != 0) {
        fprintf(stderr, "finecat eval: %s\n", err.message);
        return -1;
    }
    int *alignment = fc_malloc((size_t)fc_model_num_labels(model) * sizeof *alignment);
    int status = fc_eval_label_alignment(model, alignment, &err);
    free(alignment);
    if (status != 0) {
        fprintf(stderr, "finecat eval: %s: %s\n", model_dir, err.message);
        fc_model_free(model);
        return -1;
    }
    progress p = {.max_rows = settings->eval.max_rows};
    settings->eval.progress = settings->quiet ? NULL : show_progress;
    settings->eval.progress_context = &p;
    const char *model_name = model_short_name(model_dir);
    for (size_t c = 0; c < set->count && status == 0; c++) {
        const fc_eval_column *column = &set->columns[c];
        if (column->missing) continue;
        fc_eval_result *result = &row->results[c];
        char label[256];
        snprintf(label, sizeof label, "eval %s %s", model_name, column->name);
        p.n_files = column->n_files;
        FILE *out = settings->quiet || fc_dist_rank() != 0 ? NULL : stderr;
        if (p.max_rows)
            fc_progress_start_count(&p.bar, out, label, "rows", p.max_rows * column->n_files);
        else
            fc_progress_start(&p.bar, out, label, 1000000);
        for (size_t f = 0; f < column->n_files && status == 0; f++) {
            p.file = f;
            p.before = result->evaluated;
            status = fc_eval_file(model, column->files[f], settings->format, &settings->reader,
                                  &settings->eval, result, &err);
        }
        if (status == 0) fc_progress_end(&p.bar, result->evaluated);
        else if (out && settings->terminal) fputs("\r\033[K", stderr);
        if (status != 0) {
            fprintf(stderr, "finecat eval: %s\n", err.message);
            break;
        }
        fc_eval_result_finish(result);
        row->evaluated += result->evaluated;
        row->seconds += result->seconds;
        if (!settings->quiet && fc_dist_rank() == 0)
            fprintf(stderr, "eval: %s %s: %zu scored, accuracy %.4f, %.1f s\n", model_name,
                    column->name, result->evaluated, result->metrics.accuracy, result->seconds);
    }
    row->peak_rss_bytes = fc_peak_rss_bytes();
    fc_model_free(model);
    return status;
}

static void free_rows(fc_eval_row *rows, size_t n_rows, size_t n_columns) {
    for (size_t r = 0; r < n_rows; r++) {
        for (size_t c = 0; c < n_columns && rows[r].results; c++)
            fc_eval_result_free(&rows[r].results[c]);
        free(rows[r].results);
    }
    free(rows);
}

// Marks columns with a missing file and says so; returns how many are usable.
static size_t check_files(column_set *set) {
    size_t usable = 0;
    for (size_t c = 0; c < set->count; c++) {
        fc_eval_column *column = &set->columns[c];
        for (size_t f = 0; f < column->n_files; f++) {
            // A SentEval prefix (DIR/dev) is no file itself; let the reader judge it.
            if (!fc_file_exists(column->files[f]) && !is_dir(column->files[f])) {
                fc_dataset_format format;
                fc_error err;
                if (fc_dataset_detect_format(column->files[f], NULL, &format, &err) != 0) {
                    fprintf(stderr, "finecat eval: %s: %s not found; the column shows '-'\n",
                            column->name, column->files[f]);
                    column->missing = 1;
                    break;
                }
            }
        }
        if (!column->missing) usable++;
    }
    return usable;
}

static void print_notes(const column_set *set) {
    int any = 0;
    for (size_t c = 0; c < set->count; c++) {
        const fc_eval_column *column = &set->columns[c];
        if (!column->note && !column->missing) continue;
        if (!any++) printf("\nnotes:\n");
        printf("  %s: %s%s%s\n", column->name, column->missing ? "missing; " : "",
               column->note ? column->note : "", column->note ? "" : "no file");
    }
}

static int run_eval(int argc, char **argv) {
    string_list models = {0}, data = {0}, allocated = {0};
    int status = FC_EXIT_USAGE;
    fc_eval_row *rows = NULL;
    column_set set = {0};
    unsigned char *replaced = NULL;
    if (take_repeated(&argc, argv, "--model", &models) != 0 ||
        take_repeated(&argc, argv, "--data", &data) != 0)
        goto done;

    const char *suite = NULL, *data_dir = NULL, *format_name = NULL, *csv_path = NULL,
               *json_path = NULL;
    int batch_size = 32, max_length = 0, max_rows = 0, on_error = 0;
    eval_settings settings;
    memset(&settings, 0, sizeof settings);
    settings.reader = fc_reader_default_options();
    settings.eval = fc_eval_default_options();
    const fc_arg_option options[] = {
        {.name = "--suite", .kind = FC_ARG_STRING, .target = &suite},
        {.name = "--data-dir", .kind = FC_ARG_STRING, .target = &data_dir},
        {.name = "--format", .kind = FC_ARG_STRING, .target = &format_name},
        {.name = "--premise-col", .kind = FC_ARG_STRING, .target = &settings.reader.premise_column},
        {.name = "--hypothesis-col", .kind = FC_ARG_STRING,
         .target = &settings.reader.hypothesis_column},
        {.name = "--label-col", .kind = FC_ARG_STRING, .target = &settings.reader.label_column},
        {.name = "--label-map", .kind = FC_ARG_STRING, .target = &settings.reader.label_map},
        {.name = "--batch-size", .kind = FC_ARG_INT, .target = &batch_size, .min_value = 1},
        {.name = "--max-length", .kind = FC_ARG_INT, .target = &max_length, .min_value = 1},
        {.name = "--max-rows", .kind = FC_ARG_INT, .target = &max_rows, .min_value = 1},
        {.name = "--on-error", .kind = FC_ARG_CHOICE, .target = &on_error,
         .choices = on_error_choices},
        {.name = "--csv", .kind = FC_ARG_STRING, .target = &csv_path},
        {.name = "--json", .kind = FC_ARG_STRING, .target = &json_path},
        {.name = "--quiet", .kind = FC_ARG_FLAG, .target = &settings.quiet},
        {.name = "--dtype", .kind = FC_ARG_CHOICE, .target = &settings.dtype,
         .choices = fc_cli_dtypes},
    };
    int n_positional = 0;
    switch (fc_args_parse("eval", argc, argv, options, sizeof options / sizeof options[0],
                          &n_positional)) {
    case FC_ARGS_HELP: fputs(usage, stdout); status = FC_EXIT_OK; goto done;
    case FC_ARGS_ERROR: goto done;
    case FC_ARGS_OK: break;
    }
    if (n_positional > 0) {
        fc_args_usage_error("eval", "unexpected argument '%s'", argv[1]);
        goto done;
    }
    if (models.count == 0) {
        const char *fallback = fc_cli_model_dir("eval", NULL);
        if (!fallback) {
            fc_args_usage_error("eval", "missing --model DIR");
            goto done;
        }
        list_push(&models, fallback);
    }
    if (!suite && data.count == 0) {
        fc_args_usage_error("eval", "missing --data NAME=PATH or --suite finecat --data-dir DIR");
        goto done;
    }
    if (data_dir && !suite) {
        fc_args_usage_error("eval", "--data-dir goes with --suite");
        goto done;
    }
    settings.format = FC_FORMAT_AUTO;
    if (format_name) {
        int format = fc_dataset_format_from_name(format_name);
        if (format < 0) {
            fc_args_usage_error("eval", "--format: unknown format '%s'", format_name);
            goto done;
        }
        settings.format = (fc_dataset_format)format;
    }
    if (suite && add_suite(&set, suite, data_dir, &allocated) != 0) goto done;
    size_t n_suite_columns = set.count;
    replaced = fc_calloc(n_suite_columns ? n_suite_columns : 1, 1);
    for (size_t i = 0; i < data.count; i++)
        if (add_data(&set, n_suite_columns, data.items[i], &allocated, replaced) != 0) goto done;

    // Under mpirun every rank counts every record (src/eval/eval.c); rank 0 reports.
    settings.terminal = isatty(fileno(stderr)) && fc_dist_rank() == 0;
    settings.reader.on_error = on_error == 1 ? FC_ON_ERROR_SKIP : FC_ON_ERROR_FAIL;
    settings.reader.warn = print_warning;
    settings.reader.warn_context = &settings.terminal;
    settings.eval.nli.batch_size = batch_size;
    settings.eval.nli.max_length = max_length;
    settings.eval.max_rows = (size_t)max_rows;

    status = FC_EXIT_FAILURE;
    if (check_files(&set) == 0) {
        fprintf(stderr, "finecat eval: none of the data files was found\n");
        goto done;
    }
    rows = fc_calloc(models.count, sizeof *rows);
    size_t n_rows = 0;
    for (size_t m = 0; m < models.count; m++) {
        int failed = run_model(models.items[m], &set, &settings, &rows[m]);
        n_rows = m + 1;
        if (failed) goto free_rows;
    }
    status = FC_EXIT_OK;
    if (fc_dist_rank() != 0) goto free_rows;
    fc_eval_report report = {
        .columns = set.columns,
        .n_columns = set.count,
        .rows = rows,
        .n_rows = n_rows,
        .batch_size = batch_size,
        .max_rows = (size_t)max_rows,
    };
    fc_eval_report_print(stdout, &report);
    print_notes(&set);
    status = FC_EXIT_OK;
    fc_error err;
    if (csv_path && fc_eval_report_write_csv(csv_path, &report, &err) != 0) {
        fprintf(stderr, "finecat eval: %s\n", err.message);
        status = FC_EXIT_FAILURE;
    }
    if (json_path && fc_eval_report_write_json(json_path, &report, &err) != 0) {
        fprintf(stderr, "finecat eval: %s\n", err.message);
        status = FC_EXIT_FAILURE;
    }
    // The confusion matrices as pictures, next to the report (the JSON's, else the CSV's).
    const char *report_path = json_path ? json_path : csv_path;
    if (report_path && strcmp(report_path, "-") != 0) {
        if (fc_eval_report_write_confusion_svgs(report_path, &report, &err) != 0) {
            fprintf(stderr, "finecat eval: %s\n", err.message);
            status = FC_EXIT_FAILURE;
        } else if (!settings.quiet) {
            char *example = fc_confusion_svg_path(report_path, 0, n_rows, "DATASET");
            fprintf(stderr, "eval: confusion matrices drawn in %s (one per data set)\n",
                    example);
            free(example);
        }
    }
free_rows:
    free_rows(rows, n_rows, set.count);
    rows = NULL;
done:
    for (size_t c = 0; c < set.count; c++) free(set.columns[c].files);
    free(set.columns);
    free(replaced);
    for (size_t i = 0; i < allocated.count; i++) free((void *)allocated.items[i]);
    free(allocated.items);
    free(models.items);
    free(data.items);
    return status;
}

// The entry point: `finecat eval ...` with argv[0] = "eval".
int cmd_eval(int argc, char **argv);
int cmd_eval(int argc, char **argv) {
    return run_eval(argc, argv);
}

const fc_command fc_command_eval = {
    .name = "eval",
    .summary = "score models on NLI data sets: the FineCat results table",
    .usage = usage,
    .run = cmd_eval,
};
