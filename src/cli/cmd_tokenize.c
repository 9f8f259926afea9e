// `finecat tokenize`: prints the token ids a model sees for texts or premise/hypothesis pairs,
// for checking the tokenizer against Hugging Face's.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cli/args.h"
#include "cli/commands.h"
#include "cli/default_model.h"
#include "cli/json_write.h"
#include "finecat.h"
#include "io/json_nul.h"
#include "tasks/nli.h"
#include "util/error.h"
#include "util/lines.h"

static const char usage[] =
    "Usage: finecat tokenize [--model DIR] [OPTIONS] [TEXT ...]\n"
    "\n"
    "Prints the token ids the model sees, special tokens included ([CLS] TEXT\n"
    "[SEP], or [CLS] PREMISE [SEP] HYPOTHESIS [SEP] with --pair), separated by\n"
    "spaces, one line per input. Each TEXT argument is one input. Without TEXT\n"
    "arguments standard input is read: one text per line (blank lines too, so\n"
    "output lines match input lines), or with --pair JSON Lines records\n"
    "{\"premise\": ..., \"hypothesis\": ...} (blank lines ignored).\n"
    "\n"
    "Options:\n"
    "  --model DIR          model folder (tokenizer.json, config.json, ...);\n"
    "                       default: models/finecat-nli-minilm or $FINECAT_MODEL\n"
    "  --pair               tokenize pairs: two TEXT arguments PREMISE\n"
    "                       HYPOTHESIS, or JSONL on standard input\n"
    "  --max-length N       truncate to N tokens, special tokens included;\n"
    "                       0: no truncation (default: the model's max length,\n"
    "                       as nli and predict use)\n"
    "  --truncation MODE    longest_first  shorten the longer text first, as\n"
    "                                      CrossEncoder does (default)\n"
    "                       only_first     shorten the first text (premise)\n"
    "                                      only, as the zero-shot pipeline does\n"
    "                       none           never truncate\n"
    "  --tokens             after each line of ids, print the token strings as\n"
    "                       a JSON array\n"
    "  -h, --help           show this help\n"
    "\n"
    "Examples:\n"
    "  finecat tokenize --model models/finecat-nli-l 'Hello world'\n"
    "  finecat tokenize --model models/finecat-nli-l --pair --tokens \\\n"
    "      'A man sleeps.' 'No one sleeps.'\n"
    "  printf 'one text\\nanother\\n' | finecat tokenize --model models/finecat-nli-l\n";

typedef struct tokenize_run {
    const fc_model *model;
    fc_nli_options nli; // max_length and truncation, resolved
    int print_tokens;
    fc_ids ids;
} tokenize_run;

static void print_ids(tokenize_run *run) {
    for (size_t i = 0; i < run->ids.len; i++) printf(i ? " %d" : "%d", (int)run->ids.ids[i]);
    putchar('\n');
    if (!run->print_tokens) return;
    const fc_tokenizer *tok = fc_model_tokenizer(run->model);
    putchar('[');
    for (size_t i = 0; i < run->ids.len; i++) {
        if (i) putchar(',');
        const char *token = fc_tokenizer_id_to_token(tok, run->ids.ids[i]);
        if (token)
            fc_json_write_string(stdout, token);
        else
            fputs("null", stdout);
    }
    fputs("]\n", stdout);
}

static int tokenize_text(tokenize_run *run, const char *text, fc_error *err) {
    if (fc_tokenizer_encode_pair(fc_model_tokenizer(run->model), text, NULL,
                                 fc_nli_max_length(run->model, &run->nli), run->nli.truncation,
                                 &run->ids, err) != 0)
        return -1;
    print_ids(run);
    return 0;
}

static int tokenize_pair(tokenize_run *run, const char *premise, const char *hypothesis,
                         fc_error *err) {
    fc_pair pair = {.premise = premise, .hypothesis = hypothesis};
    if (fc_nli_encode_pair(run->model, &pair, &run->nli, &run->ids, err) != 0) return -1;
    print_ids(run);
    return 0;
}

// One JSONL record {"premise": ..., "hypothesis": ...} of standard input.
static int tokenize_record(tokenize_run *run, const char *line, size_t length, fc_error *err) {
    if (strlen(line) != length) return fc_fail(err, "contains a NUL byte");
    cJSON *json = cJSON_ParseWithLength(line, length + 1); // + 1: cJSON wants the NUL
    if (!json) return fc_fail(err, "malformed JSON");
    size_t nul_at;
    if (fc_json_find_nul(line, length, &nul_at)) {
        cJSON_Delete(json);
        return fc_fail(err, "column %zu: " FC_JSON_NUL_MESSAGE, nul_at + 1);
    }
    if (!cJSON_IsObject(json)) {
        cJSON_Delete(json);
        return fc_fail(err, "expected a JSON object");
    }
    const cJSON *premise = cJSON_GetObjectItemCaseSensitive(json, "premise");
    const cJSON *hypothesis = cJSON_GetObjectItemCaseSensitive(json, "hypothesis");
    int status;
    if (!cJSON_IsString(premise))
        status = fc_fail(err, "\"premise\" is missing or not a string");
    else if (!cJSON_IsString(hypothesis))
        status = fc_fail(err, "\"hypothesis\" is missing or not a string");
    else
        status = tokenize_pair(run, premise->valuestring, hypothesis->valuestring, err);
    cJSON_Delete(json);
    return status;
}

static int tokenize_stdin(tokenize_run *run, int pair_mode, fc_error *err) {
    fc_line_reader reader;
    fc_line_reader_init(&reader, stdin, "<stdin>");
    int status = 0;
    char *line;
    size_t length;
    int got;
    while ((got = fc_line_reader_next(&reader, &line, &length, err)) > 0) {
        if (pair_mode) {
            if (strspn(line, " \t") == length) continue; // blank
            status = tokenize_record(run, line, length, err);
        } else if (strlen(line) != length) {
            status = fc_fail(err, "contains a NUL byte");
        } else {
            status = tokenize_text(run, line, err);
        }
        if (status != 0) {
            fc_fail_prefix(err, "<stdin>:%zu", reader.line_number);
            break;
        }
    }
    if (got < 0) status = -1;
    fc_line_reader_free(&reader);
    return status;
}

static int tokenize_arguments(tokenize_run *run, int pair_mode, char **texts, int n_texts,
                              fc_error *err) {
    if (pair_mode) return tokenize_pair(run, texts[0], texts[1], err);
    for (int i = 0; i < n_texts; i++) {
        if (tokenize_text(run, texts[i], err) != 0)
            return fc_fail_prefix(err, "TEXT %d", i + 1);
    }
    return 0;
}

static int run_tokenize(int argc, char **argv) {
    const char *model_dir = NULL;
    int pair_mode = 0, print_tokens = 0, max_length = -1;
    int truncation = 0;
    // In the order of the --truncation choices.
    static const char *const truncation_names[] = {"longest_first", "only_first", "none", NULL};
    static const fc_truncation truncation_modes[] = {FC_TRUNCATE_LONGEST_FIRST,
                                                     FC_TRUNCATE_ONLY_FIRST, FC_TRUNCATE_NONE};
    const fc_arg_option options[] = {
        {.name = "--model", .kind = FC_ARG_STRING, .target = &model_dir},
        {.name = "--pair", .kind = FC_ARG_FLAG, .target = &pair_mode},
        {.name = "--max-length", .kind = FC_ARG_INT, .target = &max_length, .min_value = 0},
        {.name = "--truncation", .kind = FC_ARG_CHOICE, .target = &truncation,
         .choices = truncation_names},
        {.name = "--tokens", .kind = FC_ARG_FLAG, .target = &print_tokens},
    };
    int n_positional = 0;
    switch (fc_args_parse("tokenize", argc, argv, options, sizeof options / sizeof options[0],
                          &n_positional)) {
    case FC_ARGS_HELP: fputs(usage, stdout); return FC_EXIT_OK;
    case FC_ARGS_ERROR: return FC_EXIT_USAGE;
    case FC_ARGS_OK: break;
    }
    model_dir = fc_cli_model_dir("tokenize", model_dir);
    if (!model_dir) return fc_args_usage_error("tokenize", "missing --model DIR");
    if (pair_mode && n_positional != 0 && n_positional != 2)
        return fc_args_usage_error("tokenize",
                                   "--pair takes PREMISE and HYPOTHESIS, got %d argument%s",
                                   n_positional, n_positional == 1 ? "" : "s");

    fc_error err;
    fc_model *model = NULL;
    if (fc_model_load(model_dir, &model, &err) != 0) {
        fprintf(stderr, "finecat: %s\n", err.message);
        return FC_EXIT_FAILURE;
    }
    tokenize_run run = {.model = model, .nli = fc_nli_default_options(),
                        .print_tokens = print_tokens};
    run.nli.truncation = truncation_modes[truncation];
    if (max_length == 0) run.nli.truncation = FC_TRUNCATE_NONE;
    if (max_length > 0) run.nli.max_length = max_length;

    int status = n_positional > 0
                     ? tokenize_arguments(&run, pair_mode, argv + 1, n_positional, &err)
                     : tokenize_stdin(&run, pair_mode, &err);
    if (status != 0) fprintf(stderr, "finecat: %s\n", err.message);
    if (fflush(stdout) != 0 && status == 0) {
        fprintf(stderr, "finecat: <stdout>: write error\n");
        status = -1;
    }
    fc_ids_free(&run.ids);
    fc_model_free(model);
    return status == 0 ? FC_EXIT_OK : FC_EXIT_FAILURE;
}

const fc_command fc_command_tokenize = {
    .name = "tokenize",
    .summary = "print the token ids of texts or premise/hypothesis pairs",
    .usage = usage,
    .run = run_tokenize,
};
