// `finecat predict`: classifies a stream of JSONL records, chunk by chunk so that memory stays
// bounded on inputs of any size.
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cjson/cJSON.h>

#include "cli/args.h"
#include "cli/commands.h"
#include "cli/default_model.h"
#include "cli/nli_result.h"
#include "cli/predict_native.h"
#include "dist/dist.h"
#include "finecat.h"
#include "io/json_nul.h"
#include "tasks/nli.h"
#include "util/alloc.h"
#include "util/error.h"
#include "util/lines.h"
#include "util/progress.h"

static const char usage[] =
    "Usage: finecat predict [--model DIR] [OPTIONS]\n"
    "\n"
    "Reads JSON Lines records with string members \"premise\" and \"hypothesis\"\n"
    "and writes each record back, in input order, with three members added at\n"
    "its end:\n"
    "  \"probabilities\": {LABEL: p, ...}  softmax of the logits, keyed by the\n"
    "                                    model's id2label names, model order\n"
    "  \"logits\": [...]                   raw logits, model order\n"
    "  \"label\": LABEL                    the predicted label (largest logit)\n"
    "Every other member is copied byte for byte, in order; an input member\n"
    "named probabilities, logits or label is replaced (keep a gold label under\n"
    "another name, such as gold_label). Blank lines are ignored; CRLF line ends\n"
    "and a missing final newline are fine.\n"
    "\n"
    "Any data file `finecat eval` and `train` read works too (--input FILE): SNLI,\n"
    "MultiNLI, ANLI, WANLI, LingNLI, NLI-FEVER, CAD, SICK, TaxiNLI, TextFooler,\n"
    "CSV/TSV/JSONL with named columns. It is read when --format or a column\n"
    "option is given, or when the file's first record has no string premise and\n"
    "hypothesis. Each record is written, in input order, as {\"id\", \"source\",\n"
    "\"split\", \"premise\", \"hypothesis\", \"gold_label\"} (the source's id and\n"
    "label, null when unlabeled) plus the three members above; rows the reader\n"
    "skips (SNLI/MNLI gold label \"-\", WANLI \"discard\", empty text) are counted\n"
    "on standard error.\n"
    "\n"
    "Options:\n"
    "  --model DIR        model folder (config.json, model.safetensors,\n"
    "                     tokenizer.json); default: the model that ships\n"
    "                     with finecat (models/finecat-nli-minilm), or\n"
    "                     $FINECAT_MODEL\n"
    "  --input FILE       JSONL input (default: standard input, also '-')\n"
    "  --output FILE      JSONL output (default: standard output, also '-');\n"
    "                     written as FILE.part and renamed to FILE when every\n"
    "                     record is done, so a failed run leaves no FILE\n"
    "  --batch-size N     pairs per forward pass (default: 32)\n"
    "  --dtype T          weights in memory: f32 (default), bf16 or int8 (the\n"
    "                     CPU's matrix engines: AMX, AVX512-BF16, VNNI; bf16\n"
    "                     activations, int8 per-token; bf16 as f16 or widened\n"
    "                     to fp32 where that is faster), f16 (half the memory;\n"
    "                     AVX512-FP16 where the CPU has it, else fp32 math);\n"
    "                     every architecture\n"
    "  --device D         where the forward runs: cpu, or cuda (an NVIDIA GPU;\n"
    "                     ModernBERT with f32 weights, in a build made with\n"
    "                     make CUDA=1) (default: cpu)\n"
    "  --max-length N     truncate each pair to N tokens, longer text first\n"
    "                     (default: the model's max length, the smaller of\n"
    "                     model_max_length and max_position_embeddings)\n"
    "  --chunk-size N     records read, sorted by length and classified at a\n"
    "                     time; bounds memory (default: 1024)\n"
    "  --on-error MODE    what a bad record does (malformed JSON, not an\n"
    "                     object, premise or hypothesis missing or not a\n"
    "                     string, invalid UTF-8):\n"
    "                       fail  print \"FILE:LINE: reason\" and exit 1; the\n"
    "                             chunk holding the record is not written,\n"
    "                             earlier chunks are (default)\n"
    "                       skip  print \"FILE:LINE: reason (skipped)\", go on,\n"
    "                             and end with \"N records, K skipped\" (N\n"
    "                             classified) on standard error\n"
    "  --format F         data format of --input (default: auto, detected from\n"
    "                     content): finecat, snli-jsonl, snli-txt, snli-csv,\n"
    "                     senteval, mnli-jsonl, glue-tsv, textfooler, anli,\n"
    "                     wanli, lingnli, nli-fever, cad, sick, taxinli, jsonl,\n"
    "                     csv, tsv\n"
    "  --premise-col NAME, --hypothesis-col NAME, --label-col NAME, --id-col NAME\n"
    "                     member/column names of generic JSONL/CSV/TSV files\n"
    "  --label-map MAP    label values to labels, e.g. 0=entailment,1=neutral,\n"
    "                     2=contradiction, or 'hf' (as eval and train take it)\n"
    "  --quiet            no progress on standard error (progress: a bar with\n"
    "                     rate and ETA on a terminal, otherwise a plain line at\n"
    "                     each tenth of a file and at least every 10 s)\n"
    "  -h, --help         show this help\n"
    "\n"
    "Under mpirun (a `make MPI=1` build) the ranks take turns over chunks of\n"
    "records (--input FILE is then required); rank 0 writes the same output\n"
    "as one process and shows the progress.\n"
    "\n"
    "Examples:\n"
    "  finecat predict --model models/finecat-nli-l \\\n"
    "      --input dev.jsonl --output dev.predictions.jsonl\n"
    "  finecat predict --input \\\n"
    "      ../shared/data/nli/mnli/native_subsets/multinli_dev_matched_subset1000.jsonl\n"
    "  echo '{\"id\": 7, \"premise\": \"It rains.\", \"hypothesis\": \"It is dry.\"}' |\n"
    "      finecat predict --model models/finecat-nli-l\n";

enum { ON_ERROR_FAIL = 0, ON_ERROR_SKIP = 1 };

// A record read and tokenized, waiting for its chunk to be classified.
typedef struct pending_record {
    char *line; // the record's text, copied for the byte-for-byte passthrough
    size_t length;
    cJSON *parsed;
    size_t line_number;
} pending_record;

// Chunks are read in rounds of one per rank (one chunk without MPI): rank r classifies the
// round's chunk r, whole, as one process would, the logits are gathered, and rank 0 writes
// the round in input order. Every rank reads (and tokenizes) every record, so that all agree
// on which records are good and where the chunks end.
typedef struct predict_run {
    fc_model *model;
    fc_nli_options nli;
    int skip_bad_records;
    fc_line_reader reader;
    FILE *out;               // rank 0's; NULL on the other ranks
    size_t chunk_size;
    int rank, ranks;
    pending_record *records; // [ranks, chunk_size]
    fc_ids *encoded;         // [ranks, chunk_size], kept across rounds so their storage is reused
    float *logits;           // [chunk_size, num_labels]: this rank's chunk
    float *gathered;         // [ranks, chunk_size, num_labels]: every rank's
    size_t n_classified;
    size_t n_skipped;
    // Progress, drawn by rank 0 (bar.out is NULL on the others).
    fc_progress bar;
    long input_size;                 // bytes, 0 when the input is no regular file
    uint64_t chunk_start, chunk_end; // input offsets around the round being classified
    size_t chunk_n;                  // records of rank 0's chunk of the round
} predict_run;

// Input bytes are interpolated over the round by rank 0's pairs done (the ranks classify side
// by side), so the bar does not run a whole round ahead of the work; the count is the records
// of earlier rounds plus rank 0's.
static void report_batch(void *context, size_t done) {
    predict_run *run = context;
    uint64_t span = run->chunk_end - run->chunk_start;
    uint64_t bytes = run->chunk_start + (run->chunk_n ? span * done / run->chunk_n : span);
    fc_progress_update(&run->bar, bytes, run->n_classified + done);
}

static int is_blank(const char *line, size_t length) {
    for (size_t i = 0; i < length; i++)
        if (!strchr(" \t", line[i]) || line[i] == '\0') return 0;
    return 1;
}

static const char *json_type_name(const cJSON *item) {
    if (cJSON_IsArray(item)) return "an array";
    if (cJSON_IsString(item)) return "a string";
    if (cJSON_IsNumber(item)) return "a number";
    if (cJSON_IsBool(item)) return "a boolean";
    if (cJSON_IsNull(item)) return "null";
    return "an object";
}

static int get_text_field(const cJSON *object, const char *name, const char **text,
                          fc_error *err) {
    const cJSON *field = cJSON_GetObjectItemCaseSensitive(object, name);
    if (!field) return fc_fail(err, "missing \"%s\"", name);
    if (!cJSON_IsString(field))
        return fc_fail(err, "\"%s\" is %s, not a string", name, json_type_name(field));
    *text = field->valuestring;
    return 0;
}

// Parses and tokenizes one record into *parsed and ids; the message names what is wrong.
static int prepare_record(predict_run *run, const char *line, size_t length, cJSON **parsed,
                          fc_ids *ids, fc_error *err) {
    *parsed = NULL;
    if (strlen(line) != length) return fc_fail(err, "contains a NUL byte");
    const char *parse_end = NULL;
    // length + 1 takes in the terminating NUL, which cJSON requires to see after the value.
    cJSON *json = cJSON_ParseWithLengthOpts(line, length + 1, &parse_end, 1);
    if (!json) {
        size_t column = parse_end && parse_end >= line ? (size_t)(parse_end - line) + 1 : 1;
        return fc_fail(err, "malformed JSON near column %zu", column);
    }
    size_t nul_at;
    if (fc_json_find_nul(line, length, &nul_at)) {
        cJSON_Delete(json);
        return fc_fail(err, "column %zu: " FC_JSON_NUL_MESSAGE, nul_at + 1);
    }
    fc_pair pair;
    int status = 0;
    if (!cJSON_IsObject(json)) {
        status = fc_fail(err, "expected a JSON object, got %s", json_type_name(json));
    } else if (get_text_field(json, "premise", &pair.premise, err) != 0 ||
               get_text_field(json, "hypothesis", &pair.hypothesis, err) != 0) {
        status = -1;
    } else {
        status = fc_nli_encode_pair(run->model, &pair, &run->nli, ids, err);
    }
    if (status != 0) {
        cJSON_Delete(json);
        return -1;
    }
    *parsed = json;
    return 0;
}

// Reads records until the chunk is full or the input ends; *n_read counts the good ones.
// Returns -1 on a read error, or on a bad record unless bad records are skipped.
static int read_chunk(predict_run *run, size_t chunk, size_t *n_read, fc_error *err) {
    pending_record *records = run->records + chunk * run->chunk_size;
    fc_ids *encoded = run->encoded + chunk * run->chunk_size;
    *n_read = 0;
    while (*n_read < run->chunk_size) {
        char *line;
        size_t length;
        int got = fc_line_reader_next(&run->reader, &line, &length, err);
        if (got < 0) return -1;
        if (got == 0) break;
        if (is_blank(line, length)) continue;
        size_t slot = *n_read;
        cJSON *parsed;
        if (prepare_record(run, line, length, &parsed, &encoded[slot], err) != 0) {
            fc_fail_prefix(err, "%s:%zu", run->reader.name, run->reader.line_number);
            // Running out of memory (tokenizing, say) is no fault of the record: never skipped.
            if (!run->skip_bad_records || fc_error_is_out_of_memory(err)) return -1;
            if (run->rank == 0) fprintf(stderr, "finecat: %s (skipped)\n", err->message);
            run->n_skipped++;
            continue;
        }
        records[slot] = (pending_record){
            .line = fc_strndup(line, length),
            .length = length,
            .parsed = parsed,
            .line_number = run->reader.line_number,
        };
        (*n_read)++;
    }
    return 0;
}

static void free_chunk(pending_record *records, size_t n) {
    for (size_t i = 0; i < n; i++) {
        free(records[i].line);
        cJSON_Delete(records[i].parsed);
    }
}

// Classifies chunk `chunk` of the round (n records) into run->logits.
static int classify_chunk(predict_run *run, size_t chunk, size_t n, fc_error *err) {
    const pending_record *records = run->records + chunk * run->chunk_size;
    if (fc_nli_logits_encoded_progress(run->model, run->encoded + chunk * run->chunk_size, n,
                                       run->nli.batch_size, run->logits,
                                       run->bar.out ? report_batch : NULL, run, err) != 0)
        return fc_fail_prefix(err, "%s:%zu..%zu", run->reader.name, records[0].line_number,
                              records[n - 1].line_number);
    return 0;
}

// One round: reads up to one chunk per rank, classifies this rank's, gathers, and rank 0
// writes the chunks in order. *ended: the input ended in this round. A bad record stops the
// round's reading as it stops one process's: the chunks before it are still written.
static int predict_round(predict_run *run, int *ended, fc_error *err) {
    size_t ranks = (size_t)run->ranks, n[ranks], chunks = 0;
    int read_status = 0;
    *ended = 0;
    while (chunks < ranks && !*ended) {
        read_status = read_chunk(run, chunks, &n[chunks], err);
        if (read_status != 0) {
            free_chunk(run->records + chunks * run->chunk_size, n[chunks]);
            break;
        }
        *ended = n[chunks] < run->chunk_size;
        chunks++;
    }
    run->chunk_start = run->chunk_end;
    if (run->input_size > 0) {
        long at = ftell(run->reader.file);
        if (at >= 0) run->chunk_end = (uint64_t)at;
    }
    run->chunk_n = chunks > 0 ? n[0] : 0; // rank 0's, which draws the progress
    int status = 0;
    fc_error model_err;
    if ((size_t)run->rank < chunks && n[run->rank] > 0)
        status = classify_chunk(run, (size_t)run->rank, n[run->rank], &model_err);
    size_t num_labels = (size_t)fc_model_num_labels(run->model);
    if (fc_dist_agree(status, &model_err) == 0) {
        fc_dist_all_gather(run->logits, run->chunk_size * num_labels * sizeof *run->logits,
                           run->gathered);
        for (size_t k = 0; k < chunks; k++) {
            const pending_record *records = run->records + k * run->chunk_size;
            const float *logits = run->gathered + k * run->chunk_size * num_labels;
            for (size_t i = 0; run->out && i < n[k]; i++)
                fc_result_write_record(run->out, records[i].line, records[i].length,
                                       records[i].parsed, run->model, logits + i * num_labels);
            run->n_classified += n[k];
        }
        fc_progress_update(&run->bar, run->chunk_end, run->n_classified);
    } else {
        status = -1;
        *err = model_err;
    }
    for (size_t k = 0; k < chunks; k++) free_chunk(run->records + k * run->chunk_size, n[k]);
    return status != 0 ? -1 : read_status;
}

static int predict_all(predict_run *run, fc_error *err) {
    for (;;) {
        int ended;
        if (predict_round(run, &ended, err) != 0) return -1;
        if (ended) return 0;
    }
}

// The output stream, written under a temporary name when it is a regular file.
typedef struct output_target {
    FILE *file;
    const char *path;     // NULL for standard output
    char *temporary_path; // NULL when writing to path directly
} output_target;

static int open_output(const char *path, output_target *target, fc_error *err) {
    *target = (output_target){.file = stdout};
    if (!path || strcmp(path, "-") == 0) return 0;
    target->path = path;
    struct stat st;
    // A device or pipe (/dev/stdout, a FIFO) cannot be replaced by rename: write to it.
    const char *open_path = path;
    if (stat(path, &st) != 0 || S_ISREG(st.st_mode)) {
        size_t size = strlen(path) + sizeof ".part";
        target->temporary_path = fc_malloc(size);
        snprintf(target->temporary_path, size, "%s.part", path);
        open_path = target->temporary_path;
    }
    target->file = fopen(open_path, "wb");
    if (!target->file) {
        fc_fail(err, "%s: cannot write: %s", open_path, strerror(errno));
        free(target->temporary_path);
        target->temporary_path = NULL;
        return -1;
    }
    return 0;
}

// Flushes and closes; on success moves the temporary file into place, else removes it.
static int close_output(output_target *target, int succeeded, fc_error *err) {
    const char *name = target->path ? target->path : "<stdout>";
    int status = 0;
    if (fflush(target->file) != 0 || ferror(target->file)) {
        if (succeeded) status = fc_fail(err, "%s: write error: %s", name, strerror(errno));
    }
    if (target->path && fclose(target->file) != 0 && succeeded && status == 0)
        status = fc_fail(err, "%s: write error: %s", name, strerror(errno));
    if (target->temporary_path) {
        if (succeeded && status == 0) {
            if (rename(target->temporary_path, target->path) != 0)
                status = fc_fail(err, "%s: cannot rename %s to it: %s", target->path,
                                 target->temporary_path, strerror(errno));
        } else {
            remove(target->temporary_path);
        }
        free(target->temporary_path);
    }
    return status;
}

// 1 when the file's first non-blank line is a JSON object with string members premise and
// hypothesis (or the file is empty, or no regular file): predict's own record format, whose
// other members it passes through byte for byte. Anything else goes to the data readers.
static int first_record_is_pair(const char *path) {
    struct stat st;
    // A pipe or device (/dev/stdin) would lose the line read here: it stays predict's format.
    if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) return 1;
    FILE *f = fopen(path, "rb");
    if (!f) return 1; // the open below reports the error
    fc_line_reader reader;
    fc_line_reader_init(&reader, f, path);
    char *line;
    size_t length;
    fc_error ignored;
    int is_pair = 1;
    while (fc_line_reader_next(&reader, &line, &length, &ignored) == 1) {
        if (is_blank(line, length)) continue;
        cJSON *json = cJSON_ParseWithLength(line, length);
        is_pair = cJSON_IsObject(json) &&
                  cJSON_IsString(cJSON_GetObjectItemCaseSensitive(json, "premise")) &&
                  cJSON_IsString(cJSON_GetObjectItemCaseSensitive(json, "hypothesis"));
        cJSON_Delete(json);
        break;
    }
    fc_line_reader_free(&reader);
    fclose(f);
    return is_pair;
}

static void print_warning(void *context, const char *message) {
    fprintf(stderr, "finecat: %s\n", message);
}

static int run_predict(int argc, char **argv) {
    const char *model_dir = NULL, *input_path = NULL, *output_path = NULL;
    const char *format_name = NULL;
    int batch_size = 32, max_length = 0, chunk_size = 1024, on_error = ON_ERROR_FAIL, dtype = 0,
        device = FC_DEVICE_CPU, quiet = 0;
    fc_reader_options reader_options = fc_reader_default_options();
    static const char *const devices[] = {"cpu", "cuda", NULL}; // indexed by fc_device
    static const char *const on_error_modes[] = {"fail", "skip", NULL};
    static const char *const dtypes[] = {"f32", "bf16", "f16", "int8", NULL};
    const fc_arg_option options[] = {
        {.name = "--model", .kind = FC_ARG_STRING, .target = &model_dir},
        {.name = "--input", .kind = FC_ARG_STRING, .target = &input_path},
        {.name = "--output", .kind = FC_ARG_STRING, .target = &output_path},
        {.name = "--batch-size", .kind = FC_ARG_INT, .target = &batch_size, .min_value = 1},
        {.name = "--max-length", .kind = FC_ARG_INT, .target = &max_length, .min_value = 1},
        {.name = "--chunk-size", .kind = FC_ARG_INT, .target = &chunk_size, .min_value = 1},
        {.name = "--dtype", .kind = FC_ARG_CHOICE, .target = &dtype, .choices = dtypes},
        {.name = "--device", .kind = FC_ARG_CHOICE, .target = &device, .choices = devices},
        {.name = "--on-error", .kind = FC_ARG_CHOICE, .target = &on_error,
         .choices = on_error_modes},
        {.name = "--format", .kind = FC_ARG_STRING, .target = &format_name},
        {.name = "--premise-col", .kind = FC_ARG_STRING, .target = &reader_options.premise_column},
        {.name = "--hypothesis-col", .kind = FC_ARG_STRING,
         .target = &reader_options.hypothesis_column},
        {.name = "--label-col", .kind = FC_ARG_STRING, .target = &reader_options.label_column},
        {.name = "--id-col", .kind = FC_ARG_STRING, .target = &reader_options.id_column},
        {.name = "--label-map", .kind = FC_ARG_STRING, .target = &reader_options.label_map},
        {.name = "--quiet", .kind = FC_ARG_FLAG, .target = &quiet},
    };
    int n_positional = 0;
    switch (fc_args_parse("predict", argc, argv, options, sizeof options / sizeof options[0],
                          &n_positional)) {
    case FC_ARGS_HELP: fputs(usage, stdout); return FC_EXIT_OK;
    case FC_ARGS_ERROR: return FC_EXIT_USAGE;
    case FC_ARGS_OK: break;
    }
    model_dir = fc_cli_model_dir("predict", model_dir);
    if (!model_dir) return fc_args_usage_error("predict", "missing --model DIR");
    if (n_positional > 0)
        return fc_args_usage_error("predict", "unexpected argument '%s' (use --input FILE)",
                                   argv[1]);

    fc_dataset_format format = FC_FORMAT_AUTO;
    if (format_name) {
        int found = fc_dataset_format_from_name(format_name);
        if (found < 0)
            return fc_args_usage_error("predict", "--format: unknown format '%s'", format_name);
        format = (fc_dataset_format)found;
    }
    int from_stdin = !input_path || strcmp(input_path, "-") == 0;
    int native = format_name || reader_options.premise_column ||
                 reader_options.hypothesis_column || reader_options.label_column ||
                 reader_options.id_column || reader_options.label_map;
    if (native && from_stdin)
        return fc_args_usage_error("predict", "--format and the column options read a data "
                                              "file: give it with --input FILE");
    if (!native && !from_stdin) native = !first_record_is_pair(input_path);
    reader_options.on_error = on_error == ON_ERROR_SKIP ? FC_ON_ERROR_SKIP : FC_ON_ERROR_FAIL;
    int rank = fc_dist_rank(), ranks = fc_dist_size();
    reader_options.warn = rank == 0 ? print_warning : NULL; // every rank reads every row

    // Open the files before loading the model, so a mistyped path fails at once.
    fc_error err;
    FILE *input = stdin;
    const char *input_name = "<stdin>";
    if (!from_stdin) {
        input = fopen(input_path, "rb");
        if (!input) {
            fprintf(stderr, "finecat: %s: cannot open: %s\n", input_path, strerror(errno));
            return FC_EXIT_FAILURE;
        }
        input_name = input_path;
    }
    if (ranks > 1 && input == stdin) // mpirun hands standard input to rank 0 alone
        return fc_args_usage_error("predict", "under mpirun, read the records with --input FILE");
    output_target output = {.file = NULL};
    if (rank == 0 && open_output(output_path, &output, &err) != 0) {
        fprintf(stderr, "finecat: %s\n", err.message);
        if (input != stdin) fclose(input);
        return FC_EXIT_FAILURE;
    }

    predict_run run = {
        .nli = fc_nli_default_options(),
        .skip_bad_records = on_error == ON_ERROR_SKIP,
        .out = output.file,
        .chunk_size = (size_t)chunk_size,
        .rank = rank,
        .ranks = ranks,
    };
    run.nli.batch_size = batch_size;
    run.nli.max_length = max_length;
    fc_model_options model_options = {.weights = (fc_weight_dtype)dtype, .device = device};
    int succeeded = fc_model_load_with(model_dir, &model_options, &run.model, &err) == 0;
    FILE *progress_out = quiet ? NULL : stderr;
    fc_reader_counts counts;
    if (succeeded && native) {
        fc_predict_native_options native_options = {
            .nli = run.nli, .chunk_size = run.chunk_size, .progress = progress_out};
        succeeded = fc_predict_native(run.model, input_path, format, &reader_options,
                                      &native_options, output.file, &run.n_classified, &counts,
                                      &err) == 0;
        fc_model_free(run.model);
    } else if (succeeded) {
        struct stat st;
        if (!from_stdin && fstat(fileno(input), &st) == 0 && S_ISREG(st.st_mode))
            run.input_size = (long)st.st_size;
        fc_progress_start(&run.bar, rank == 0 ? progress_out : NULL, "predict",
                          (uint64_t)run.input_size);
        fc_progress_set_unit(&run.bar, "records");
        size_t num_labels = (size_t)fc_model_num_labels(run.model);
        fc_line_reader_init(&run.reader, input, input_name);
        size_t slots = (size_t)ranks * run.chunk_size;
        run.records = fc_calloc(slots, sizeof *run.records);
        run.encoded = fc_calloc(slots, sizeof *run.encoded);
        run.logits = fc_calloc(run.chunk_size * num_labels, sizeof *run.logits);
        run.gathered = fc_malloc(slots * num_labels * sizeof *run.gathered);
        succeeded = predict_all(&run, &err) == 0;
        if (succeeded) fc_progress_end(&run.bar, run.n_classified);
        for (size_t i = 0; i < slots; i++) fc_ids_free(&run.encoded[i]);
        free(run.encoded);
        free(run.records);
        free(run.logits);
        free(run.gathered);
        fc_line_reader_free(&run.reader);
        fc_model_free(run.model);
    }
    if (!succeeded) fprintf(stderr, "finecat: %s\n", err.message);
    if (output.file && close_output(&output, succeeded, &err) != 0) {
        fprintf(stderr, "finecat: %s\n", err.message);
        succeeded = 0;
    }
    if (input != stdin) fclose(input);
    if (succeeded && native && rank == 0) {
        size_t skipped = fc_reader_counts_skipped(&counts);
        if (skipped) {
            fprintf(stderr, "finecat: %zu records, %zu rows skipped by the reader:", run.n_classified,
                    skipped);
            for (int r = 0; r < FC_SKIP_REASON_COUNT; r++)
                if (counts.skipped[r])
                    fprintf(stderr, " %zu %s", counts.skipped[r],
                            fc_skip_reason_name((fc_skip_reason)r));
            fputc('\n', stderr);
        }
    } else if (succeeded && run.skip_bad_records && rank == 0) {
        fprintf(stderr, "finecat: %zu records, %zu skipped\n", run.n_classified, run.n_skipped);
    }
    return succeeded ? FC_EXIT_OK : FC_EXIT_FAILURE;
}

const fc_command fc_command_predict = {
    .name = "predict",
    .summary = "classify the premise/hypothesis pairs of JSONL records",
    .usage = usage,
    .run = run_predict,
};
