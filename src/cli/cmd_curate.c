// `finecat curate STEP`: building BigCat/FineCat-style training sets (src/curate/). Each step is
// a thin shell over one library call: parse the options, run, print the counts per source.
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/args.h"
#include "cli/commands.h"
#include "cli/dtype_option.h"
#include "cli/default_model.h"
#include "curate/dedupe.h"
#include "curate/flag.h"
#include "curate/histogram.h"
#include "curate/ingest.h"
#include "curate/output_file.h"
#include "curate/pipeline.h"
#include "curate/score.h"
#include "curate/select.h"
#include "dist/dist.h"
#include "util/alloc.h"

static const char usage[] =
    "Usage: finecat curate STEP [OPTIONS]\n"
    "\n"
    "Builds BigCat/FineCat-style NLI training sets, step by step or all at once. Every step\n"
    "reads and writes finecat interchange JSONL: {\"id\", \"source\", \"split\", \"premise\",\n"
    "\"hypothesis\", \"label\"} plus \"score\", \"pilot_logits\", \"teacher_logits\" and \"flags\"\n"
    "as the steps add them. Outputs are written as FILE.part and renamed when complete.\n"
    "Counts per source go to standard output, progress to standard error (a bar with rate\n"
    "and ETA on a terminal, otherwise plain lines at each tenth of a step's input and at\n"
    "least every 10 s; --quiet for none).\n"
    "\n"
    "Steps:\n"
    "  ingest    read the NLI sources in their native formats into one normalized file\n"
    "  dedupe    remove duplicate pairs and evaluation leakage, flag conflicting labels\n"
    "  score     a pilot model's probability of each row's gold label (sharded, resumable)\n"
    "  hist      the score histogram per source: a table and an SVG plot\n"
    "  select    keep the hard rows and a seeded sample of the easy ones\n"
    "  flag      send the lowest-scored rows to review (a screening program or a person)\n"
    "  teacher   attach a teacher model's logits for distillation (sharded, resumable)\n"
    "  run       the whole pipeline from a JSON config file, with a report\n"
    "\n"
    "Run 'finecat curate STEP --help' for the options of a step.\n"
    "Exit status: 0 success, 1 failure (input, model, output), 2 bad command line.\n";

static const char ingest_usage[] =
    "Usage: finecat curate ingest --input [SOURCE[:SPLIT]=]PATH [--input ...] --output FILE\n"
    "                             [OPTIONS]\n"
    "\n"
    "Reads NLI data sets in their native formats (SNLI jsonl/txt/csv, SentEval, MultiNLI\n"
    "jsonl, GLUE tsv, TextFooler tsv, ANLI, WANLI, LingNLI, NLI-FEVER, CAD tsv, SICK.txt,\n"
    "TaxiNLI tsv, generic JSONL/CSV/TSV; detected from content), tags each row with its\n"
    "source and split (SICK: its SemEval_set, lowercased), normalizes the texts\n"
    "(Unicode NFC, whitespace trimmed and collapsed to single spaces) and writes them all, in\n"
    "input order, as one interchange file (BigCat). Dropped: rows the readers skip (gold\n"
    "label '-', WANLI 'discard', empty text, bad rows with --on-error skip), rows without a\n"
    "label, and rows empty once normalized. Ids are made unique over the output: a repeated\n"
    "id gets '#2', '#3', ... appended. Prints rows read, kept and dropped per source and reason.\n"
    "\n"
    "Options:\n"
    "  --input SPEC        a data file, repeatable (at least one): PATH, SOURCE=PATH or\n"
    "                      SOURCE:SPLIT=PATH. SOURCE defaults to the format's (snli, mnli,\n"
    "                      anli, wanli, lingnli, nli_fever, cad, sick, taxinli; a generic\n"
    "                      file's stem), SPLIT to\n"
    "                      the word train/dev/test/val in the file name (else none: dedupe\n"
    "                      treats it as training data). A SentEval set is given by one of its\n"
    "                      files (s1.dev) or its prefix (DIR/dev)\n"
    "  --output FILE       the interchange JSONL to write (required)\n"
    "  --format F          format of every input (default: auto): finecat, snli-jsonl,\n"
    "                      snli-txt, snli-csv, senteval, mnli-jsonl, glue-tsv, textfooler,\n"
    "                      anli, wanli, lingnli, nli-fever, cad, sick, taxinli, jsonl, csv,\n"
    "                      tsv\n"
    "  --on-error MODE     a malformed row: fail (print FILE:LINE, exit 1; the default) or\n"
    "                      skip (print FILE:LINE, count it, go on)\n"
    "  --premise-col NAME, --hypothesis-col NAME, --label-col NAME, --id-col NAME\n"
    "                      member/column names of generic JSONL/CSV/TSV files (defaults:\n"
    "                      premise, hypothesis, label, id)\n"
    "  --label-map MAP     label values of generic files, e.g. 0=entailment,1=neutral,\n"
    "                      2=contradiction ('-' as target: no gold label), or 'hf'\n"
    "  --json FILE         also write the counts as JSON\n"
    "  --quiet             no progress on standard error\n"
    "  -h, --help          show this help\n"
    "\n"
    "Example:\n"
    "  finecat curate ingest --input snli:train=snli_1.0/snli_1.0_train.jsonl \\\n"
    "      --input multinli_1.0/multinli_1.0_train.jsonl --input anli_v1.0/R1/train.jsonl \\\n"
    "      --output bigcat.jsonl\n";

static const char dedupe_usage[] =
    "Usage: finecat curate dedupe --input FILE --output FILE [OPTIONS]\n"
    "\n"
    "Removes duplicate (premise, hypothesis) pairs within and across sources, and training\n"
    "rows that leak an evaluation pair. Pairs are compared by key: Unicode NFC, case folded,\n"
    "punctuation (Unicode P*, ` and PTB's -LRB- ...) and all whitespace removed, so PTB-\n"
    "tokenized copies (\"ca n't\", \"`` hi ''\") meet their raw text; 'exact' duplicates are also\n"
    "byte-identical. The first training row of each key is kept. Evaluation rows (split in\n"
    "--eval-splits, or read from --eval files) are the reference: not deduplicated, written\n"
    "only with --keep-eval. Training rows of one key with different labels are not merged:\n"
    "the kept row gets the flag \"label_conflict\" {\"labels\": {LABEL: count}, \"rows\": n}\n"
    "(--on-conflict flag), or all of them are dropped (--on-conflict drop). Keys are held\n"
    "in full (a hash match is checked byte by byte): about 270 bytes a row, 700 MB for\n"
    "2.6M rows.\n"
    "\n"
    "Options:\n"
    "  --input FILE          interchange JSONL, e.g. from ingest (required)\n"
    "  --output FILE         the deduplicated JSONL (required)\n"
    "  --eval FILE           more evaluation rows, any format the readers know; repeatable\n"
    "  --eval-splits LIST    splits that are evaluation data (default: dev,test,val,validation)\n"
    "  --keep-eval           also write the input's evaluation rows, unchanged\n"
    "  --id-sources LIST     sources whose ids name the same pairs (e.g. mnli,taxinli: both\n"
    "                        keep MultiNLI's pairID): a training row whose id is an evaluation\n"
    "                        row's is leakage too, counted as 'leaked (eval id)' when its\n"
    "                        text did not match (default: none)\n"
    "  --on-conflict MODE    flag (default) or drop\n"
    "  --json FILE           also write the counts as JSON\n"
    "  --quiet               no progress on standard error\n"
    "  -h, --help            show this help\n";

static const char pass_options_usage[] =
    "  --input FILE          interchange JSONL (required)\n"
    "  --output FILE         the JSONL to write (required)\n"
    "  --model DIR           model folder; its labels must be entailment, neutral and\n"
    "                        contradiction in any order (required)\n"
    "  --dtype T             weights in memory: f32 (default), bf16 or int8 (the CPU's\n"
    "                        matrix engines), f16 (AVX512-FP16 where the CPU has it,\n"
    "                        else fp32 math); part of the manifest\n"
    "  --shard-size N        rows per shard (default: 10000)\n"
    "  --batch-size N        pairs per forward pass (default: 32)\n"
    "  --max-length N        truncate pairs to N tokens (default: the model's max length)\n"
    "  --work-dir DIR        where shards go (default: OUTPUT.shards; removed when done)\n"
    "  --restart             discard the shards of an earlier run instead of resuming\n"
    "  --stop-after-shards N stop after computing N shards, as a kill would (exit 1; for\n"
    "                        testing resumption)\n"
    "  --json FILE           also write the counts and timings as JSON\n"
    "  --quiet               no progress on standard error\n"
    "  -h, --help            show this help\n"
    "\n"
    "The rows are cut into shards by position; each shard is written to WORK/shard-N.jsonl\n"
    "when complete. Killed and run again with the same options, the step continues from the\n"
    "last complete shard and ends with the same bytes as an uninterrupted run. WORK holds a\n"
    "manifest (input hash, model fingerprint, settings, BLAS and OpenMP thread counts, which\n"
    "change the logits' last bits): other settings are refused, not mixed. Prints the\n"
    "model's throughput in samples/s (forward passes only).\n"
    "\n"
    "Under mpirun (a `make MPI=1` build), rank r computes the shards s with s % ranks == r\n"
    "and rank 0 joins them: the output has the same bytes for any rank count, and a killed\n"
    "run resumes with any count. WORK must be on a filesystem every rank sees.\n";

static const char score_usage_head[] =
    "Usage: finecat curate score --input FILE --output FILE --model PILOT [OPTIONS]\n"
    "\n"
    "Runs a pilot model over every row and adds \"score\", the probability of the row's gold\n"
    "label (softmax of the three NLI logits, labels matched by name), and \"pilot_logits\",\n"
    "the logits in canonical order [entailment, neutral, contradiction].\n"
    "\n"
    "Options:\n";

static const char teacher_usage_head[] =
    "Usage: finecat curate teacher --input FILE --output FILE --model TEACHER [OPTIONS]\n"
    "\n"
    "Runs a teacher model over every row and adds \"teacher_logits\": its raw logits in\n"
    "canonical order [entailment, neutral, contradiction], the target of distillation.\n"
    "\n"
    "Options:\n";

static const char hist_usage[] =
    "Usage: finecat curate hist --input FILE [OPTIONS]\n"
    "\n"
    "Prints the score histogram per source and overall: one line per bin, one column per\n"
    "source, the total and its share. Bin i holds scores in [i/B, (i+1)/B); the last also\n"
    "1.0. Rows without a score are counted apart.\n"
    "\n"
    "Options:\n"
    "  --input FILE        scored interchange JSONL (required)\n"
    "  --bins N            number of bins (default: 10)\n"
    "  --svg FILE          also draw the histogram as an SVG picture\n"
    "  --layout L          stacked (default: sources stacked in one bar per bin) or grouped\n"
    "                      (one bar per source side by side)\n"
    "  --title TEXT        the picture's title (default: Score histogram by source)\n"
    "  --json FILE         also write the counts as JSON\n"
    "  --quiet             no progress on standard error\n"
    "  -h, --help          show this help\n";

static const char select_usage[] =
    "Usage: finecat curate select --input FILE --output FILE (--keep-easy-frac F |\n"
    "                             --target-rows N) [OPTIONS]\n"
    "\n"
    "Keeps every row with score <= the easy threshold and a seeded sample of the easy rows\n"
    "(score above it): the k easy rows with the smallest hash of (seed, id). The output keeps\n"
    "the input's order; the same input and seed give the same bytes. Prints the rows per\n"
    "source before and after.\n"
    "\n"
    "Options:\n"
    "  --input FILE          scored interchange JSONL (required; every row needs a score)\n"
    "  --output FILE         the selected JSONL (required)\n"
    "  --easy-above T        a score above T is easy (default: 0.9)\n"
    "  --keep-easy-frac F    keep round(F x easy rows) easy rows, F in [0, 1]\n"
    "  --target-rows N       keep N rows in all: every hard row and N - hard easy rows\n"
    "                        (none when N is below the hard rows)\n"
    "  --seed N              seed of the draw (default: 1)\n"
    "  --json FILE           also write the counts as JSON\n"
    "  --quiet               no progress on standard error\n"
    "  -h, --help            show this help\n";

static const char flag_usage[] =
    "Usage: finecat curate flag --input FILE --review FILE [--screen-cmd CMD --output FILE]\n"
    "       finecat curate flag --input FILE --apply REVIEW --output FILE\n"
    "\n"
    "Rows with score below --flag-below are likely mislabeled. The first form writes them,\n"
    "as they are, to the review file; with --screen-cmd it also pipes them (JSONL on standard\n"
    "input) to a screening program and applies its verdicts, one JSON object per line on its\n"
    "standard output:\n"
    "  {\"id\": ID, \"verdict\": \"keep\"|\"drop\"|\"relabel\", \"label\": NEW, \"reason\": TEXT}\n"
    "(\"label\" for relabel only). Every flagged row must get exactly one verdict, and the\n"
    "program must exit 0; otherwise nothing is applied, and the review file and the program's\n"
    "answer (REVIEW.verdicts.jsonl) stay for a look. The second form applies a review file a\n"
    "person edited: add \"verdict\" (and \"reason\") to rows, change \"label\" to relabel;\n"
    "rows without a verdict stay as they are.\n"
    "Applied: drop removes the row; keep and relabel add the flag \"review\" {\"verdict\",\n"
    "\"from\" (relabel), \"reason\"}; relabel sets the label and recomputes the score from\n"
    "pilot_logits. Each verdict applied is logged as a JSON line.\n"
    "\n"
    "Options:\n"
    "  --input FILE          scored interchange JSONL (required)\n"
    "  --review FILE         where the flagged rows go (required unless --apply)\n"
    "  --flag-below T        flag rows with score < T (default: 0.1)\n"
    "  --screen-cmd CMD      screening program, run with /bin/sh -c\n"
    "  --screen-timeout S    stop the program after S seconds (default: 0, no limit)\n"
    "  --apply FILE          an edited review file whose verdicts to apply\n"
    "  --output FILE         the data set with the verdicts applied (with --screen-cmd or\n"
    "                        --apply)\n"
    "  --log FILE            the verdicts applied, as JSONL (default: OUTPUT.log.jsonl)\n"
    "  --json FILE           also write the counts as JSON\n"
    "  --quiet               no progress on standard error\n"
    "  -h, --help            show this help\n";

static const char run_usage[] =
    "Usage: finecat curate run --config FILE [OPTIONS]\n"
    "\n"
    "Runs ingest, dedupe, score, hist, flag, select and teacher from a JSON config, writing\n"
    "each stage's output (1-bigcat.jsonl ... 7-finecat.jsonl) and report.json + report.md\n"
    "with every stage's counts into the output folder. A stage whose output exists and was\n"
    "made from the same input bytes, settings and model is skipped, so a rerun continues\n"
    "where a failed or killed run stopped.\n"
    "\n"
    "Config (paths relative to the config file's folder, inputs and eval_files relative to\n"
    "data_dir when given; unknown keys are an error):\n"
    "  {\"description\": TEXT, \"output_dir\": DIR, \"data_dir\": DIR,\n"
    "   \"inputs\": [\"SOURCE[:SPLIT]=PATH\" or {\"path\", \"source\",\n"
    "   \"split\", \"format\"}, ...], \"on_error\": \"fail\", \"seed\": 1,\n"
    "   \"eval_splits\": \"dev,test,val,validation\" (or a list; [] for none),\n"
    "   \"eval_files\": [...], \"id_sources\": \"mnli,taxinli\", \"keep_eval\": false,\n"
    "   \"on_conflict\": \"flag\", \"pilot_model\": DIR, \"teacher_model\": DIR,\n"
    "   \"shard_size\": 10000, \"batch_size\": 32, \"max_length\": 0, \"bins\": 10,\n"
    "   \"hist_layout\": \"stacked\", \"flag_below\": 0.1, \"screen_cmd\": CMD,\n"
    "   \"screen_timeout\": 0, \"review_apply\": FILE, \"easy_above\": 0.9,\n"
    "   \"keep_easy_frac\": F or \"target_rows\": N}\n"
    "Required: output_dir, inputs; with pilot_model also keep_easy_frac or target_rows.\n"
    "screen_cmd runs in the current folder. Thread counts (OMP_NUM_THREADS) belong to the\n"
    "settings of score and teacher: resume with the same ones.\n"
    "Without pilot_model the run stops after dedupe; without teacher_model, after select.\n"
    "\n"
    "Options:\n"
    "  --config FILE           the config (required)\n"
    "  --data-dir DIR          use DIR as the config's data_dir (relative to the current\n"
    "                          folder), e.g. for a checkout that is not beside the data\n"
    "  --output-dir DIR        write into DIR instead of the config's output_dir\n"
    "  --force                 rerun every stage\n"
    "  --stop-after-shards N   stop score/teacher after N shards, as a kill would (exit 1)\n"
    "  --quiet                 no progress on standard error\n"
    "  -h, --help              show this help\n"
    "\n"
    "Example (BigCat's data part, recipe/bigcat.json: ingest and dedupe only):\n"
    "  finecat curate run --config recipe/bigcat.json --output-dir /tmp/bigcat\n";

// ---------------------------------------------------------------------------------------------
// Helpers

typedef struct string_list {
    const char **items;
    size_t count;
} string_list;

// Takes every "--name VALUE" / "--name=VALUE" out of argv (the shared parser takes an option
// once); the rest is left for fc_args_parse.
static int take_repeated(const char *command, int *argc, char **argv, const char *name,
                         string_list *out) {
    size_t name_len = strlen(name);
    int kept = 1;
    for (int i = 1; i < *argc; i++) {
        char *arg = argv[i];
        if (strcmp(arg, "--") == 0) {
            while (i < *argc) argv[kept++] = argv[i++];
            break;
        }
        if (strncmp(arg, name, name_len) == 0 && arg[name_len] == '=') {
            out->items = fc_realloc(out->items, (out->count + 1) * sizeof *out->items);
            out->items[out->count++] = arg + name_len + 1;
        } else if (strcmp(arg, name) == 0) {
            if (i + 1 >= *argc) return fc_args_usage_error(command, "%s needs a value", name);
            out->items = fc_realloc(out->items, (out->count + 1) * sizeof *out->items);
            out->items[out->count++] = argv[++i];
        } else {
            argv[kept++] = arg;
        }
    }
    *argc = kept;
    return 0;
}

// Parses the options; returns -1 when the command should end with *exit_status.
static int parse(const char *command, const char *help, int argc, char **argv,
                 const fc_arg_option *options, size_t n_options, int *exit_status) {
    int n_positional = 0;
    switch (fc_args_parse(command, argc, argv, options, n_options, &n_positional)) {
    case FC_ARGS_HELP:
        fputs(help, stdout);
        *exit_status = FC_EXIT_OK;
        return -1;
    case FC_ARGS_ERROR:
        *exit_status = FC_EXIT_USAGE;
        return -1;
    case FC_ARGS_OK:
        break;
    }
    if (n_positional > 0) {
        *exit_status = fc_args_usage_error(command, "unexpected argument '%s'", argv[1]);
        return -1;
    }
    return 0;
}

static int parse_fraction(const char *command, const char *name, const char *text, double *out) {
    char *end;
    errno = 0;
    double value = strtod(text, &end);
    if (!text[0] || *end || errno || !(value >= 0.0 && value <= 1.0))
        return fc_args_usage_error(command, "%s: '%s' is not a number from 0 to 1", name, text);
    *out = value;
    return 0;
}

static int parse_count(const char *command, const char *name, const char *text, int64_t *out) {
    char *end;
    errno = 0;
    long long value = strtoll(text, &end, 10);
    if (!text[0] || *end || errno || value < 0)
        return fc_args_usage_error(command, "%s: '%s' is not a count (0 or more)", name, text);
    *out = value;
    return 0;
}

static int fail(const fc_error *err) {
    fprintf(stderr, "finecat: %s\n", err->message);
    return FC_EXIT_FAILURE;
}

// Writes stats (taken) to path when given; returns the exit status.
static int write_json(const char *path, cJSON *stats) {
    int status = FC_EXIT_OK;
    if (path) {
        char *text = cJSON_Print(stats);
        fc_error err;
        if (fc_output_write_text(path, text, &err) != 0) status = fail(&err);
        cJSON_free(text);
    }
    cJSON_Delete(stats);
    return status;
}

// ---------------------------------------------------------------------------------------------
// Steps

static int run_ingest(int argc, char **argv) {
    const char *command = "curate ingest";
    string_list specs = {0};
    if (take_repeated(command, &argc, argv, "--input", &specs) != 0) return FC_EXIT_USAGE;
    const char *output = NULL, *json = NULL;
    int format = FC_FORMAT_AUTO, on_error = 0, status;
    fc_ingest_options options = fc_ingest_default_options();
    static const char *formats[FC_FORMAT_COUNT + 1];
    for (int i = 0; i < FC_FORMAT_COUNT; i++) formats[i] = fc_dataset_format_name(i);
    static const char *const on_error_modes[] = {"fail", "skip", NULL};
    int quiet = 0;
    const fc_arg_option table[] = {
        {.name = "--quiet", .kind = FC_ARG_FLAG, .target = &quiet},
        {.name = "--output", .kind = FC_ARG_STRING, .target = &output},
        {.name = "--format", .kind = FC_ARG_CHOICE, .target = &format, .choices = formats},
        {.name = "--on-error", .kind = FC_ARG_CHOICE, .target = &on_error,
         .choices = on_error_modes},
        {.name = "--premise-col", .kind = FC_ARG_STRING, .target = &options.premise_column},
        {.name = "--hypothesis-col", .kind = FC_ARG_STRING, .target = &options.hypothesis_column},
        {.name = "--label-col", .kind = FC_ARG_STRING, .target = &options.label_column},
        {.name = "--id-col", .kind = FC_ARG_STRING, .target = &options.id_column},
        {.name = "--label-map", .kind = FC_ARG_STRING, .target = &options.label_map},
        {.name = "--json", .kind = FC_ARG_STRING, .target = &json},
    };
    if (parse(command, ingest_usage, argc, argv, table, sizeof table / sizeof table[0],
              &status) != 0) {
        free(specs.items);
        return status;
    }
    if (specs.count == 0 || !output) {
        free(specs.items);
        return fc_args_usage_error(command, "needs --input and --output");
    }
    fc_error err;
    fc_ingest_input *inputs = fc_calloc(specs.count, sizeof *inputs);
    for (size_t i = 0; i < specs.count; i++) {
        if (fc_ingest_parse_spec((char *)specs.items[i], &inputs[i], &err) != 0) {
            free(inputs);
            free(specs.items);
            return fc_args_usage_error(command, "--input: %s", err.message);
        }
        inputs[i].format = (fc_dataset_format)format;
    }
    options.on_error = on_error ? FC_ON_ERROR_SKIP : FC_ON_ERROR_FAIL;
    options.progress = quiet ? NULL : stderr;
    options.warnings = stderr;
    fc_ingest_stats stats;
    status = fc_curate_ingest(inputs, specs.count, output, &options, &stats, &err) == 0
                 ? FC_EXIT_OK
                 : fail(&err);
    for (size_t i = 0; i < stats.n_files; i++) {
        const fc_ingest_file *file = &stats.files[i];
        printf("%s: %s, source %s, split %s: %llu read, %llu kept\n", file->path,
               fc_dataset_format_name(file->format), file->source,
               file->split[0] ? file->split : "(none: training)",
               (unsigned long long)file->read, (unsigned long long)file->kept);
    }
    putchar('\n');
    fc_count_table_print(stdout, &stats.by_source, "source", FC_TABLE_TEXT, 1);
    if (status == FC_EXIT_OK) {
        printf("\n%llu rows written to %s in %.1f s\n", (unsigned long long)stats.written,
               output, stats.seconds);
        status = write_json(json, fc_ingest_stats_to_json(&stats));
    }
    fc_ingest_stats_free(&stats);
    free(inputs);
    free(specs.items);
    return status;
}

static int run_dedupe(int argc, char **argv) {
    const char *command = "curate dedupe";
    string_list evals = {0};
    if (take_repeated(command, &argc, argv, "--eval", &evals) != 0) return FC_EXIT_USAGE;
    const char *input = NULL, *output = NULL, *json = NULL;
    int on_conflict = 0, status;
    fc_dedupe_options options = fc_dedupe_default_options();
    static const char *const conflict_modes[] = {"flag", "drop", NULL};
    int quiet = 0;
    const fc_arg_option table[] = {
        {.name = "--quiet", .kind = FC_ARG_FLAG, .target = &quiet},
        {.name = "--input", .kind = FC_ARG_STRING, .target = &input},
        {.name = "--output", .kind = FC_ARG_STRING, .target = &output},
        {.name = "--eval-splits", .kind = FC_ARG_STRING, .target = &options.eval_splits},
        {.name = "--keep-eval", .kind = FC_ARG_FLAG, .target = &options.keep_eval},
        {.name = "--id-sources", .kind = FC_ARG_STRING, .target = &options.id_sources},
        {.name = "--on-conflict", .kind = FC_ARG_CHOICE, .target = &on_conflict,
         .choices = conflict_modes},
        {.name = "--json", .kind = FC_ARG_STRING, .target = &json},
    };
    if (parse(command, dedupe_usage, argc, argv, table, sizeof table / sizeof table[0],
              &status) != 0) {
        free(evals.items);
        return status;
    }
    if (!input || !output) {
        free(evals.items);
        return fc_args_usage_error(command, "needs --input and --output");
    }
    options.eval_files = evals.items;
    options.n_eval_files = evals.count;
    options.on_conflict = on_conflict ? FC_CONFLICT_DROP : FC_CONFLICT_FLAG;
    options.progress = quiet ? NULL : stderr;
    fc_dedupe_stats stats;
    fc_error err;
    status = fc_curate_dedupe(input, output, &options, &stats, &err) == 0 ? FC_EXIT_OK
                                                                          : fail(&err);
    if (status == FC_EXIT_OK) {
        fc_count_table_print(stdout, &stats.by_source, "source", FC_TABLE_TEXT, 1);
        printf("\n%llu distinct pairs, %llu with conflicting labels; %llu rows from --eval "
               "files, %llu evaluation ids; %llu rows written to %s in %.1f s\n",
               (unsigned long long)stats.keys, (unsigned long long)stats.conflict_keys,
               (unsigned long long)stats.eval_file_rows, (unsigned long long)stats.eval_ids,
               (unsigned long long)stats.written, output, stats.seconds);
        status = write_json(json, fc_dedupe_stats_to_json(&stats));
    }
    fc_dedupe_stats_free(&stats);
    free(evals.items);
    return status;
}

typedef int (*model_stage_fn)(const char *, const char *, const char *,
                              const fc_model_pass_options *, fc_model_pass_stats *, fc_error *);

static int run_model_stage(const char *command, const char *usage_head, model_stage_fn stage,
                           int argc, char **argv) {
    size_t head = strlen(usage_head);
    char *help = fc_malloc(head + sizeof pass_options_usage);
    memcpy(help, usage_head, head);
    memcpy(help + head, pass_options_usage, sizeof pass_options_usage);
    const char *input = NULL, *output = NULL, *model = NULL, *json = NULL;
    int shard_size = FC_MODEL_PASS_DEFAULT_SHARD_SIZE, status;
    fc_model_pass_options options = fc_model_pass_default_options();
    int quiet = 0, dtype = 0;
    const fc_arg_option table[] = {
        {.name = "--dtype", .kind = FC_ARG_CHOICE, .target = &dtype, .choices = fc_cli_dtypes},
        {.name = "--quiet", .kind = FC_ARG_FLAG, .target = &quiet},
        {.name = "--input", .kind = FC_ARG_STRING, .target = &input},
        {.name = "--output", .kind = FC_ARG_STRING, .target = &output},
        {.name = "--model", .kind = FC_ARG_STRING, .target = &model},
        {.name = "--shard-size", .kind = FC_ARG_INT, .target = &shard_size, .min_value = 1},
        {.name = "--batch-size", .kind = FC_ARG_INT, .target = &options.batch_size,
         .min_value = 1},
        {.name = "--max-length", .kind = FC_ARG_INT, .target = &options.max_length,
         .min_value = 1},
        {.name = "--work-dir", .kind = FC_ARG_STRING, .target = &options.work_dir},
        {.name = "--restart", .kind = FC_ARG_FLAG, .target = &options.restart},
        {.name = "--stop-after-shards", .kind = FC_ARG_INT, .target = &options.stop_after_shards,
         .min_value = 1},
        {.name = "--json", .kind = FC_ARG_STRING, .target = &json},
    };
    int parsed = parse(command, help, argc, argv, table, sizeof table / sizeof table[0], &status);
    free(help);
    if (parsed != 0) return status;
    if (!input || !output || !model)
        return fc_args_usage_error(command, "needs --input, --output and --model");
    if (!(model = fc_cli_hub_model(command, model))) return FC_EXIT_FAILURE;
    options.shard_size = (size_t)shard_size;
    options.progress = quiet ? NULL : stderr;
    options.weights = (fc_weight_dtype)dtype;
    fc_model_pass_stats stats;
    fc_error err;
    if (stage(input, output, model, &options, &stats, &err) != 0) {
        fc_model_pass_stats_free(&stats);
        return fail(&err);
    }
    if (fc_dist_rank() != 0) { // under mpirun: rank 0 reports for all
        status = stats.stopped ? FC_EXIT_FAILURE : FC_EXIT_OK;
        fc_model_pass_stats_free(&stats);
        return status;
    }
    fc_count_table_print(stdout, &stats.by_source, "source", FC_TABLE_TEXT, 1);
    printf("\nmodel: %.1f samples/s (forward passes, %.1f s); tokenization %.1f s; %zu shards "
           "(%zu resumed, %zu computed) in %.1f s\n",
           fc_model_pass_samples_per_second(&stats), stats.model_seconds,
           stats.tokenize_seconds, stats.shards, stats.shards_resumed, stats.shards_computed,
           stats.seconds);
    if (stats.stopped) {
        fprintf(stderr, "finecat: stopped after %zu shards (--stop-after-shards); run the same "
                        "command again to continue\n", stats.shards_computed);
        status = FC_EXIT_FAILURE;
    } else {
        printf("%llu rows written to %s\n", (unsigned long long)stats.rows, output);
        status = write_json(json, fc_model_pass_stats_to_json(&stats));
    }
    fc_model_pass_stats_free(&stats);
    return status;
}

static int run_score(int argc, char **argv) {
    return run_model_stage("curate score", score_usage_head, fc_curate_score, argc, argv);
}

static int run_teacher(int argc, char **argv) {
    return run_model_stage("curate teacher", teacher_usage_head, fc_curate_teacher, argc, argv);
}

static int run_hist(int argc, char **argv) {
    const char *command = "curate hist";
    const char *input = NULL, *svg = NULL, *title = NULL, *json = NULL;
    int bins = FC_HIST_DEFAULT_BINS, layout = 0, status;
    static const char *const layouts[] = {"stacked", "grouped", NULL};
    int quiet = 0;
    const fc_arg_option table[] = {
        {.name = "--quiet", .kind = FC_ARG_FLAG, .target = &quiet},
        {.name = "--input", .kind = FC_ARG_STRING, .target = &input},
        {.name = "--bins", .kind = FC_ARG_INT, .target = &bins, .min_value = 1},
        {.name = "--svg", .kind = FC_ARG_STRING, .target = &svg},
        {.name = "--layout", .kind = FC_ARG_CHOICE, .target = &layout, .choices = layouts},
        {.name = "--title", .kind = FC_ARG_STRING, .target = &title},
        {.name = "--json", .kind = FC_ARG_STRING, .target = &json},
    };
    if (parse(command, hist_usage, argc, argv, table, sizeof table / sizeof table[0],
              &status) != 0)
        return status;
    if (!input) return fc_args_usage_error(command, "needs --input");
    if (bins > FC_HIST_MAX_BINS)
        return fc_args_usage_error(command, "--bins: at most %d", FC_HIST_MAX_BINS);
    fc_histogram hist;
    fc_error err;
    if (fc_curate_histogram(input, bins, quiet ? NULL : stderr, &hist, &err) != 0)
        return fail(&err);
    fc_histogram_print(stdout, &hist, 0);
    status = FC_EXIT_OK;
    if (svg) {
        if (fc_histogram_write_svg(&hist, svg, layout ? FC_HIST_GROUPED : FC_HIST_STACKED, title,
                                   &err) != 0)
            status = fail(&err);
        else
            printf("\nhistogram drawn in %s\n", svg);
    }
    if (status == FC_EXIT_OK) status = write_json(json, fc_histogram_to_json(&hist));
    fc_histogram_free(&hist);
    return status;
}

static int run_select(int argc, char **argv) {
    const char *command = "curate select";
    const char *input = NULL, *output = NULL, *json = NULL, *easy = NULL, *frac = NULL,
               *target = NULL, *seed = NULL;
    int status;
    int quiet = 0;
    const fc_arg_option table[] = {
        {.name = "--quiet", .kind = FC_ARG_FLAG, .target = &quiet},
        {.name = "--input", .kind = FC_ARG_STRING, .target = &input},
        {.name = "--output", .kind = FC_ARG_STRING, .target = &output},
        {.name = "--easy-above", .kind = FC_ARG_STRING, .target = &easy},
        {.name = "--keep-easy-frac", .kind = FC_ARG_STRING, .target = &frac},
        {.name = "--target-rows", .kind = FC_ARG_STRING, .target = &target},
        {.name = "--seed", .kind = FC_ARG_STRING, .target = &seed},
        {.name = "--json", .kind = FC_ARG_STRING, .target = &json},
    };
    if (parse(command, select_usage, argc, argv, table, sizeof table / sizeof table[0],
              &status) != 0)
        return status;
    if (!input || !output) return fc_args_usage_error(command, "needs --input and --output");
    if (!frac == !target)
        return fc_args_usage_error(command, "needs one of --keep-easy-frac and --target-rows");
    fc_select_options options = fc_select_default_options();
    int64_t seed_value = (int64_t)options.seed;
    if ((easy && parse_fraction(command, "--easy-above", easy, &options.easy_above) != 0) ||
        (frac && parse_fraction(command, "--keep-easy-frac", frac, &options.keep_easy_frac) != 0) ||
        (target && parse_count(command, "--target-rows", target, &options.target_rows) != 0) ||
        (seed && parse_count(command, "--seed", seed, &seed_value) != 0))
        return FC_EXIT_USAGE;
    options.seed = (uint64_t)seed_value;
    options.progress = quiet ? NULL : stderr;
    fc_select_stats stats;
    fc_error err;
    status = fc_curate_select(input, output, &options, &stats, &err) == 0 ? FC_EXIT_OK
                                                                          : fail(&err);
    if (status == FC_EXIT_OK) {
        fc_count_table_print(stdout, &stats.by_source, "source", FC_TABLE_TEXT, 0);
        if (stats.target_unreachable)
            printf("\nthe target is below the hard rows: every hard row kept, no easy row\n");
        printf("\n%llu rows written to %s (%llu easy rows kept, seed %llu) in %.1f s\n",
               (unsigned long long)fc_count_table_total(&stats.by_source, FC_SELECT_KEPT),
               output, (unsigned long long)stats.easy_keep, (unsigned long long)options.seed,
               stats.seconds);
        status = write_json(json, fc_select_stats_to_json(&stats));
    }
    fc_select_stats_free(&stats);
    return status;
}

static int run_flag(int argc, char **argv) {
    const char *command = "curate flag";
    const char *input = NULL, *json = NULL, *below = NULL;
    int timeout = 0, status;
    fc_flag_options options = fc_flag_default_options();
    int quiet = 0;
    const fc_arg_option table[] = {
        {.name = "--quiet", .kind = FC_ARG_FLAG, .target = &quiet},
        {.name = "--input", .kind = FC_ARG_STRING, .target = &input},
        {.name = "--review", .kind = FC_ARG_STRING, .target = &options.review_path},
        {.name = "--flag-below", .kind = FC_ARG_STRING, .target = &below},
        {.name = "--screen-cmd", .kind = FC_ARG_STRING, .target = &options.screen_cmd},
        {.name = "--screen-timeout", .kind = FC_ARG_INT, .target = &timeout, .min_value = 0},
        {.name = "--apply", .kind = FC_ARG_STRING, .target = &options.apply_path},
        {.name = "--output", .kind = FC_ARG_STRING, .target = &options.output},
        {.name = "--log", .kind = FC_ARG_STRING, .target = &options.log_path},
        {.name = "--json", .kind = FC_ARG_STRING, .target = &json},
    };
    if (parse(command, flag_usage, argc, argv, table, sizeof table / sizeof table[0],
              &status) != 0)
        return status;
    if (!input) return fc_args_usage_error(command, "needs --input");
    if (options.screen_cmd && options.apply_path)
        return fc_args_usage_error(command, "--screen-cmd and --apply exclude each other");
    if (!options.apply_path && !options.review_path)
        return fc_args_usage_error(command, "needs --review FILE (or --apply FILE)");
    if ((options.screen_cmd || options.apply_path) && !options.output)
        return fc_args_usage_error(command, "applying verdicts needs --output FILE");
    if (below && parse_fraction(command, "--flag-below", below, &options.flag_below) != 0)
        return FC_EXIT_USAGE;
    options.screen_timeout = (unsigned)timeout;
    options.progress = quiet ? NULL : stderr;
    fc_flag_stats stats;
    fc_error err;
    status = fc_curate_flag(input, &options, &stats, &err) == 0 ? FC_EXIT_OK : fail(&err);
    if (status == FC_EXIT_OK) {
        fc_count_table_print(stdout, &stats.by_source, "source", FC_TABLE_TEXT, 0);
        if (options.review_path && !options.apply_path)
            printf("\n%llu flagged rows written to %s\n",
                   (unsigned long long)fc_count_table_total(&stats.by_source, FC_FLAG_FLAGGED),
                   options.review_path);
        if (stats.applied)
            printf("verdicts applied: %llu rows written to %s\n",
                   (unsigned long long)fc_count_table_total(&stats.by_source, FC_FLAG_WRITTEN),
                   options.output);
        status = write_json(json, fc_flag_stats_to_json(&stats));
    }
    fc_flag_stats_free(&stats);
    return status;
}

static int run_pipeline(int argc, char **argv) {
    const char *command = "curate run";
    const char *config_path = NULL;
    int status;
    fc_pipeline_options options = {0};
    fc_pipeline_overrides overrides = {0};
    int quiet = 0;
    const fc_arg_option table[] = {
        {.name = "--quiet", .kind = FC_ARG_FLAG, .target = &quiet},
        {.name = "--config", .kind = FC_ARG_STRING, .target = &config_path},
        {.name = "--data-dir", .kind = FC_ARG_STRING, .target = &overrides.data_dir},
        {.name = "--output-dir", .kind = FC_ARG_STRING, .target = &overrides.output_dir},
        {.name = "--force", .kind = FC_ARG_FLAG, .target = &options.force},
        {.name = "--stop-after-shards", .kind = FC_ARG_INT, .target = &options.stop_after_shards,
         .min_value = 1},
    };
    if (parse(command, run_usage, argc, argv, table, sizeof table / sizeof table[0],
              &status) != 0)
        return status;
    if (!config_path) return fc_args_usage_error(command, "needs --config FILE");
    if (fc_dist_size() > 1) // every rank would run every stage on the same files
        return fc_args_usage_error(command, "runs as one process; under mpirun, run its model "
                                            "stages as 'curate score' and 'curate teacher'");
    options.progress = quiet ? NULL : stderr;
    fc_pipeline_config config;
    fc_error err;
    if (fc_pipeline_config_read_with(config_path, &overrides, &config, &err) != 0)
        return fail(&err);
    cJSON *report = NULL;
    status = fc_curate_run_pipeline(config_path, &config, &options, &report, &err) == 0
                 ? FC_EXIT_OK
                 : fail(&err);
    if (report) {
        fc_pipeline_report_markdown(stdout, report);
        if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(report, "stopped"))) {
            fprintf(stderr, "finecat: stopped early (--stop-after-shards); run the same command "
                            "again to continue\n");
            status = FC_EXIT_FAILURE;
        }
    }
    printf("report: %s/report.md, %s/report.json\n", config.output_dir, config.output_dir);
    cJSON_Delete(report);
    fc_pipeline_config_free(&config);
    return status;
}

// ---------------------------------------------------------------------------------------------
// Dispatch

typedef struct step {
    const char *name;
    int (*run)(int argc, char **argv);
} step;

static const step steps[] = {
    {"ingest", run_ingest}, {"dedupe", run_dedupe}, {"score", run_score},
    {"hist", run_hist},     {"select", run_select}, {"flag", run_flag},
    {"teacher", run_teacher}, {"run", run_pipeline},
};

static int run_curate(int argc, char **argv) {
    if (argc < 2) {
        fputs(usage, stderr);
        return FC_EXIT_USAGE;
    }
    const char *name = argv[1];
    if (strcmp(name, "-h") == 0 || strcmp(name, "--help") == 0 || strcmp(name, "help") == 0) {
        fputs(usage, stdout);
        return FC_EXIT_OK;
    }
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++)
        if (strcmp(steps[i].name, name) == 0) return steps[i].run(argc - 1, argv + 1);
    return fc_args_usage_error("curate", "unknown step '%s' (ingest, dedupe, score, hist, "
                                         "select, flag, teacher, run)", name);
}

const fc_command fc_command_curate = {
    .name = "curate",
    .summary = "build BigCat/FineCat training sets: ingest, dedupe, score, select, ...",
    .usage = usage,
    .run = run_curate,
};
