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
#include "finecat.h"
#include "io/json_nul.h"
#include "tasks/nli.h"
#include "util/alloc.h"
#include "util/error.h"
#include "util/lines.h"

static const char usage[] =
    "Usage: finecat predict [--model DIR] [OPTIONS]\n"
    "\n"
    "Reads JSON Lines records with string members \"premise\" and \"hypothesis\"\n"
    "and writes each record back with three members added at its end:\n"
    "  \"probabilities\": {LABEL: p, ...}  softmax of the logits, keyed by the\n"
    "                                    model's id2label names, model order\n"
    "  \"logits\": [...]                   raw logits, model order\n"
    "  \"label\": LABEL                    the predicted label (largest logit)\n"
    "Every other member is copied byte for byte, in order; an input member\n"
    "named probabilities, logits or label is replaced (keep a gold label under\n"
    "another name, such as gold_label). Blank lines are ignored; CRLF line ends\n"
    "and a missing final newline are fine.\n"
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
    "  --dtype T          weights in memory: f32, bf16, f16 (half the memory,\n"
    "                     fp32 math) or int8 (faster, approximate); ModernBERT\n"
    "                     only for all but f32 (default: f32)\n"
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
    "  -h, --help         show this help\n"
    "\n"
    "Examples:\n"
    "  finecat predict --model models/finecat-nli-l \\\n"
    "      --input dev.jsonl --output dev.predictions.jsonl\n"
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

typedef struct predict_run {
    fc_model *model;
    fc_nli_options nli;
    int skip_bad_records;
    fc_line_reader reader;
    FILE *out;
    size_t chunk_size;
    pending_record *records; // [chunk_size]
    fc_ids *encoded;         // [chunk_size], kept across chunks so their storage is reused
    float *logits;           // [chunk_size, num_labels]
    size_t n_classified;
    size_t n_skipped;
} predict_run;

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
static int read_chunk(predict_run *run, size_t *n_read, fc_error *err) {
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
        if (prepare_record(run, line, length, &parsed, &run->encoded[slot], err) != 0) {
            fc_fail_prefix(err, "%s:%zu", run->reader.name, run->reader.line_number);
            if (!run->skip_bad_records) return -1;
            fprintf(stderr, "finecat: %s (skipped)\n", err->message);
            run->n_skipped++;
            continue;
        }
        run->records[slot] = (pending_record){
            .line = fc_strndup(line, length),
            .length = length,
            .parsed = parsed,
            .line_number = run->reader.line_number,
        };
        (*n_read)++;
    }
    return 0;
}

static void free_chunk(predict_run *run, size_t n) {
    for (size_t i = 0; i < n; i++) {
        free(run->records[i].line);
        cJSON_Delete(run->records[i].parsed);
    }
}

static int classify_chunk(predict_run *run, size_t n, fc_error *err) {
    if (fc_nli_logits_encoded(run->model, run->encoded, n, run->nli.batch_size, run->logits,
                              err) != 0)
        return fc_fail_prefix(err, "%s:%zu..%zu", run->reader.name, run->records[0].line_number,
                              run->records[n - 1].line_number);
    size_t num_labels = (size_t)fc_model_num_labels(run->model);
    for (size_t i = 0; i < n; i++) {
        const pending_record *record = &run->records[i];
        fc_result_write_record(run->out, record->line, record->length, record->parsed,
                               run->model, run->logits + i * num_labels);
    }
    run->n_classified += n;
    return 0;
}

static int predict_all(predict_run *run, fc_error *err) {
    for (;;) {
        size_t n = 0;
        int status = read_chunk(run, &n, err);
        if (status == 0 && n > 0) status = classify_chunk(run, n, err);
        free_chunk(run, n);
        if (status != 0) return -1;
        if (n < run->chunk_size) return 0; // the input ended inside this chunk
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

static int run_predict(int argc, char **argv) {
    const char *model_dir = NULL, *input_path = NULL, *output_path = NULL;
    int batch_size = 32, max_length = 0, chunk_size = 1024, on_error = ON_ERROR_FAIL, dtype = 0,
        device = FC_DEVICE_CPU;
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

    // Open the files before loading the model, so a mistyped path fails at once.
    fc_error err;
    FILE *input = stdin;
    const char *input_name = "<stdin>";
    if (input_path && strcmp(input_path, "-") != 0) {
        input = fopen(input_path, "rb");
        if (!input) {
            fprintf(stderr, "finecat: %s: cannot open: %s\n", input_path, strerror(errno));
            return FC_EXIT_FAILURE;
        }
        input_name = input_path;
    }
    output_target output;
    if (open_output(output_path, &output, &err) != 0) {
        fprintf(stderr, "finecat: %s\n", err.message);
        if (input != stdin) fclose(input);
        return FC_EXIT_FAILURE;
    }

    predict_run run = {
        .nli = fc_nli_default_options(),
        .skip_bad_records = on_error == ON_ERROR_SKIP,
        .out = output.file,
        .chunk_size = (size_t)chunk_size,
    };
    run.nli.batch_size = batch_size;
    run.nli.max_length = max_length;
    fc_model_options model_options = {.weights = (fc_weight_dtype)dtype, .device = device};
    int succeeded = fc_model_load_with(model_dir, &model_options, &run.model, &err) == 0;
    if (succeeded) {
        size_t num_labels = (size_t)fc_model_num_labels(run.model);
        fc_line_reader_init(&run.reader, input, input_name);
        run.records = fc_calloc(run.chunk_size, sizeof *run.records);
        run.encoded = fc_calloc(run.chunk_size, sizeof *run.encoded);
        run.logits = fc_malloc(run.chunk_size * num_labels * sizeof *run.logits);
        succeeded = predict_all(&run, &err) == 0;
        for (size_t i = 0; i < run.chunk_size; i++) fc_ids_free(&run.encoded[i]);
        free(run.encoded);
        free(run.records);
        free(run.logits);
        fc_line_reader_free(&run.reader);
        fc_model_free(run.model);
    }
    if (!succeeded) fprintf(stderr, "finecat: %s\n", err.message);
    if (close_output(&output, succeeded, &err) != 0) {
        fprintf(stderr, "finecat: %s\n", err.message);
        succeeded = 0;
    }
    if (input != stdin) fclose(input);
    if (succeeded && run.skip_bad_records)
        fprintf(stderr, "finecat: %zu records, %zu skipped\n", run.n_classified, run.n_skipped);
    return succeeded ? FC_EXIT_OK : FC_EXIT_FAILURE;
}

const fc_command fc_command_predict = {
    .name = "predict",
    .summary = "classify the premise/hypothesis pairs of JSONL records",
    .usage = usage,
    .run = run_predict,
};
