// `finecat zeroshot`: zero-shot classification of texts, one a line, with the semantics of
// transformers' zero-shot-classification pipeline.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cli/args.h"
#include "cli/commands.h"
#include "cli/dtype_option.h"
#include "cli/default_model.h"
#include "finecat.h"
#include "io/json_nul.h"
#include "tasks/result_json.h"
#include "util/alloc.h"
#include "util/error.h"
#include "util/lines.h"

static const char usage[] =
    "Usage: finecat zeroshot [--model DIR] --labels \"a,b,c\" [OPTIONS]\n"
    "\n"
    "Classifies each input text among the candidate labels with an NLI model,\n"
    "exactly as transformers' zero-shot-classification pipeline: each label\n"
    "becomes the hypothesis \"This example is LABEL.\" (see --template), the\n"
    "text is the premise, and the label's score comes from the entailment\n"
    "logit. Writes one JSON object a line:\n"
    "  {\"sequence\": TEXT, \"labels\": [...], \"scores\": [...]}\n"
    "with the labels sorted by descending score.\n"
    "\n"
    "Input: one text a line; a line that starts with '{' is a JSON object whose\n"
    "string member \"text\" is the text (JSON Lines). Blank lines are ignored.\n"
    "\n"
    "Options:\n"
    "  --dtype T               weights in memory: f32 (default), bf16 or int8\n"
    "                          (the CPU's matrix engines), f16 (AVX512-FP16\n"
    "                          where the CPU has it, else fp32 math)\n"
    "  --model DIR             model folder (default: models/finecat-nli-minilm,\n"
    "                          the model that ships with finecat, or $FINECAT_MODEL)\n"
    "  --labels LIST           candidate labels, comma-separated (each one\n"
    "                          stripped of spaces, empty ones dropped); required\n"
    "  --template T            hypothesis template, Python str.format syntax\n"
    "                          with one field (default: \"This example is {}.\")\n"
    "  --multi-label           score each label on its own (softmax of\n"
    "                          contradiction vs entailment) instead of a\n"
    "                          softmax across the labels; one label alone is\n"
    "                          always scored this way\n"
    "  --input FILE            input (default: standard input, also '-')\n"
    "  --chunk-size N          texts classified together, their pairs sorted\n"
    "                          by length and packed (default: 64)\n"
    "  --max-batch-tokens N    tokens per forward pass (default: 8192)\n"
    "  -h, --help              show this help\n"
    "\n"
    "Exit status: 0 success, 1 a bad input line (\"FILE:LINE: reason\"; texts\n"
    "before its chunk are written) or a model that does not load, 2 bad usage.\n"
    "\n"
    "Example:\n"
    "  echo 'The match went to extra time.' | finecat zeroshot \\\n"
    "      --model models/finecat-nli-l --labels 'sports, politics, science'\n";

typedef struct zeroshot_run {
    fc_model *model;
    char **labels;
    size_t n_labels;
    fc_zeroshot_options options;
    size_t chunk_size;
    char **texts; // [chunk_size] owned copies
    size_t n_texts;
    size_t *ranks;
    float *scores;
    fc_textbuf line_out;
} zeroshot_run;

// The text of one input line: the line itself, or the "text" member of a JSON object.
static int line_text(const char *line, size_t length, char **text, fc_error *err) {
    if (strlen(line) != length) return fc_fail(err, "contains a NUL byte");
    if (line[0] != '{') {
        *text = fc_strndup(line, length);
        return 0;
    }
    cJSON *json = cJSON_ParseWithLength(line, length);
    if (!json) return fc_fail(err, "malformed JSON");
    size_t nul_at;
    if (fc_json_find_nul(line, length, &nul_at)) {
        cJSON_Delete(json);
        return fc_fail(err, "column %zu: " FC_JSON_NUL_MESSAGE, nul_at + 1);
    }
    const cJSON *field = cJSON_GetObjectItemCaseSensitive(json, "text");
    int status = 0;
    if (!cJSON_IsObject(json))
        status = fc_fail(err, "not a JSON object");
    else if (!field)
        status = fc_fail(err, "missing \"text\"");
    else if (!cJSON_IsString(field))
        status = fc_fail(err, "\"text\" is not a string");
    else
        *text = fc_strdup(field->valuestring);
    cJSON_Delete(json);
    return status;
}

static int classify_chunk(zeroshot_run *run, fc_error *err) {
    if (run->n_texts == 0) return 0;
    if (fc_zeroshot(run->model, (const char *const *)run->texts, run->n_texts,
                    (const char *const *)run->labels, run->n_labels, &run->options, run->ranks,
                    run->scores, err) != 0)
        return -1;
    for (size_t t = 0; t < run->n_texts; t++) {
        run->line_out.len = 0;
        fc_zeroshot_result_json(&run->line_out, run->texts[t], (const char *const *)run->labels,
                                run->ranks + t * run->n_labels, run->scores + t * run->n_labels,
                                run->n_labels);
        fc_textbuf_append(&run->line_out, "\n", 1);
        fwrite(run->line_out.data, 1, run->line_out.len, stdout);
    }
    for (size_t t = 0; t < run->n_texts; t++) free(run->texts[t]);
    run->n_texts = 0;
    return 0;
}

static int is_blank(const char *line, size_t length) {
    for (size_t i = 0; i < length; i++)
        if (line[i] != ' ' && line[i] != '\t') return 0;
    return 1;
}

static int classify_input(zeroshot_run *run, FILE *in, const char *name) {
    fc_line_reader reader;
    fc_line_reader_init(&reader, in, name);
    fc_error err;
    char *line;
    size_t length;
    int status = FC_EXIT_OK, rc;
    while ((rc = fc_line_reader_next(&reader, &line, &length, &err)) == 1) {
        if (is_blank(line, length)) continue;
        char *text = NULL;
        if (line_text(line, length, &text, &err) != 0) {
            fprintf(stderr, "finecat: %s:%zu: %s\n", name, reader.line_number, err.message);
            status = FC_EXIT_FAILURE;
            break;
        }
        run->texts[run->n_texts++] = text;
        if (run->n_texts == run->chunk_size && classify_chunk(run, &err) != 0) {
            fprintf(stderr, "finecat: %s: %s\n", name, err.message);
            status = FC_EXIT_FAILURE;
            break;
        }
    }
    if (rc < 0) {
        fprintf(stderr, "finecat: %s\n", err.message);
        status = FC_EXIT_FAILURE;
    }
    if (status == FC_EXIT_OK && classify_chunk(run, &err) != 0) {
        fprintf(stderr, "finecat: %s: %s\n", name, err.message);
        status = FC_EXIT_FAILURE;
    }
    for (size_t t = 0; t < run->n_texts; t++) free(run->texts[t]);
    run->n_texts = 0;
    fc_line_reader_free(&reader);
    return status;
}

int cmd_zeroshot(int argc, char **argv) {
    const char *model_dir = NULL, *labels_text = NULL, *input = "-";
    const char *template = FC_ZEROSHOT_DEFAULT_TEMPLATE;
    int multi_label = 0, chunk_size = 64, max_batch_tokens = 8192, dtype = 0;
    const fc_arg_option options[] = {
        {.name = "--model", .kind = FC_ARG_STRING, .target = &model_dir},
        {.name = "--dtype", .kind = FC_ARG_CHOICE, .target = &dtype, .choices = fc_cli_dtypes},
        {.name = "--labels", .kind = FC_ARG_STRING, .target = &labels_text},
        {.name = "--template", .kind = FC_ARG_STRING, .target = &template},
        {.name = "--multi-label", .kind = FC_ARG_FLAG, .target = &multi_label},
        {.name = "--input", .kind = FC_ARG_STRING, .target = &input},
        {.name = "--chunk-size", .kind = FC_ARG_INT, .target = &chunk_size, .min_value = 1},
        {.name = "--max-batch-tokens", .kind = FC_ARG_INT, .target = &max_batch_tokens,
         .min_value = 1},
    };
    int n_positional = 0;
    switch (fc_args_parse("zeroshot", argc, argv, options, sizeof options / sizeof options[0],
                          &n_positional)) {
    case FC_ARGS_HELP: fputs(usage, stdout); return FC_EXIT_OK;
    case FC_ARGS_ERROR: return FC_EXIT_USAGE;
    case FC_ARGS_OK: break;
    }
    model_dir = fc_cli_model_dir("zeroshot", model_dir);
    if (!model_dir) return fc_args_usage_error("zeroshot", "missing --model DIR");
    if (!labels_text) return fc_args_usage_error("zeroshot", "missing --labels LIST");
    if (n_positional != 0)
        return fc_args_usage_error("zeroshot", "unexpected argument '%s' (texts come from "
                                               "--input or standard input)", argv[1]);
    zeroshot_run run = {.chunk_size = (size_t)chunk_size};
    fc_error err;
    if (fc_zeroshot_split_labels(labels_text, &run.labels, &run.n_labels, &err) != 0)
        return fc_args_usage_error("zeroshot", "--labels: %s", err.message);
    if (run.n_labels == 0) {
        fc_zeroshot_labels_free(run.labels, run.n_labels);
        return fc_args_usage_error("zeroshot", "--labels: no label in '%s'", labels_text);
    }
    char *probe;
    if (fc_zeroshot_hypothesis(template, run.labels[0], &probe, &err) != 0) {
        fc_zeroshot_labels_free(run.labels, run.n_labels);
        return fc_args_usage_error("zeroshot", "--template: %s", err.message);
    }
    free(probe);
    run.options = fc_zeroshot_default_options();
    run.options.hypothesis_template = template;
    run.options.multi_label = multi_label;
    run.options.max_batch_tokens = max_batch_tokens;

    int status = FC_EXIT_OK;
    FILE *in = strcmp(input, "-") == 0 ? stdin : fopen(input, "rb");
    if (!in) {
        fprintf(stderr, "finecat: %s: cannot open\n", input);
        status = FC_EXIT_FAILURE;
    } else if (fc_cli_load_model(model_dir, dtype, &run.model, &err) != 0) {
        fprintf(stderr, "finecat: %s\n", err.message);
        status = FC_EXIT_FAILURE;
    } else {
        run.texts = fc_calloc(run.chunk_size, sizeof *run.texts);
        run.ranks = fc_malloc(run.chunk_size * run.n_labels * sizeof *run.ranks);
        run.scores = fc_malloc(run.chunk_size * run.n_labels * sizeof *run.scores);
        status = classify_input(&run, in, strcmp(input, "-") == 0 ? "<stdin>" : input);
    }
    if (fflush(stdout) != 0 && status == FC_EXIT_OK) {
        fprintf(stderr, "finecat: writing the output failed\n");
        status = FC_EXIT_FAILURE;
    }
    if (in && in != stdin) fclose(in);
    fc_textbuf_free(&run.line_out);
    free(run.texts);
    free(run.ranks);
    free(run.scores);
    fc_zeroshot_labels_free(run.labels, run.n_labels);
    fc_model_free(run.model);
    return status;
}

const fc_command fc_command_zeroshot = {
    .name = "zeroshot",
    .summary = "zero-shot classification of texts among candidate labels",
    .usage = usage,
    .run = cmd_zeroshot,
};
