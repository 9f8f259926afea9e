// `finecat check`: the hallucination check of an answer against its context.
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/args.h"
#include "cli/commands.h"
#include "cli/dtype_option.h"
#include "cli/default_model.h"
#include "finecat.h"
#include "tasks/result_json.h"
#include "util/alloc.h"
#include "util/error.h"
#include "util/file.h"

static const char usage[] =
    "Usage: finecat check [--model DIR] --context FILE --answer FILE [OPTIONS]\n"
    "\n"
    "Checks each sentence of an answer against a context (a RAG hallucination\n"
    "check): the sentence is the NLI hypothesis, the context the premise. Per\n"
    "sentence it reports the entailment, neutral and contradiction\n"
    "probabilities and a verdict:\n"
    "  supported     some context window entails it (entailment >= the\n"
    "                support threshold)\n"
    "  contradicted  not supported, and some window contradicts it\n"
    "                (contradiction >= the contradiction threshold)\n"
    "  unsupported   neither\n"
    "A context longer than the model's window is cut into overlapping windows\n"
    "of whole sentences. The answer is split into sentences at . ! ? followed\n"
    "by a space and a capital, digit or quote (not after abbreviations such as\n"
    "Dr. or e.g.), and at every newline.\n"
    "\n"
    "Options:\n"
    "  --dtype T                    weights in memory: f32 (default), bf16 or int8\n"
    "                               (the CPU's matrix engines), f16 (AVX512-FP16\n"
    "                               where the CPU has it, else fp32 math)\n"
    "  --model DIR                  model folder (default: models/finecat-nli-minilm,\n"
    "                               the model that ships with finecat, or $FINECAT_MODEL)\n"
    "  --context FILE               the context (premise) text; '-' for\n"
    "                               standard input; required\n"
    "  --answer FILE                the answer to check; '-' for standard\n"
    "                               input; required\n"
    "  --json                       print JSON even on a terminal\n"
    "  --support-threshold X        entailment probability that supports a\n"
    "                               sentence (default: 0.5)\n"
    "  --contradiction-threshold X  contradiction probability that\n"
    "                               contradicts it (default: 0.5)\n"
    "  --max-batch-tokens N         tokens per forward pass (default: 8192)\n"
    "  -h, --help                   show this help\n"
    "\n"
    "Output: on a terminal, one coloured line per sentence (NO_COLOR turns the\n"
    "colours off); otherwise, or with --json, one JSON object:\n"
    "  {\"sentences\": [{\"text\", \"start\", \"end\", \"verdict\", \"entailment\",\n"
    "    \"neutral\", \"contradiction\", \"window\", \"max_contradiction\",\n"
    "    \"contradiction_window\"}, ...], \"windows\": [{\"start\", \"end\"}, ...],\n"
    "   \"summary\": {\"supported\", \"unsupported\", \"contradicted\"}, ...}\n"
    "with byte offsets into the answer (sentences) and the context (windows);\n"
    "the probabilities are those of the window that entails the sentence most.\n"
    "\n"
    "Exit status: 0 the check ran (whatever the verdicts), 1 failure, 2 bad usage.\n"
    "\n"
    "Example:\n"
    "  finecat check --model models/finecat-nli-l --context doc.txt --answer reply.txt\n";

static int parse_threshold(const char *name, const char *text, float *out) {
    char *end;
    errno = 0;
    double value = strtod(text, &end);
    if (*text == '\0' || *end != '\0' || errno == ERANGE || isnan(value))
        return fc_args_usage_error("check", "%s: '%s' is not a number", name, text);
    if (fabs(value) > FLT_MAX) // the threshold is a float: converting would overflow
        return fc_args_usage_error("check", "%s: '%s' overflows a float", name, text);
    *out = (float)value;
    return 0;
}

static char *read_input(const char *path, const char *what, fc_error *err) {
    char *text = NULL;
    if (strcmp(path, "-") != 0) {
        if (fc_read_file(path, &text, NULL, err) != 0) {
            fc_fail_prefix(err, "%s", what);
            return NULL;
        }
        return text;
    }
    size_t len = 0, cap = 4096;
    text = fc_malloc(cap);
    size_t n;
    while ((n = fread(text + len, 1, cap - len - 1, stdin)) > 0) {
        len += n;
        if (cap - len - 1 == 0) text = fc_realloc(text, cap *= 2);
    }
    text[len] = '\0';
    return text;
}

static void print_text(const char *answer, const fc_check_result *result) {
    int color = isatty(fileno(stdout)) && !getenv("NO_COLOR");
    static const char *const colors[] = {"\033[32m", "\033[33m", "\033[31m"};
    size_t counts[3] = {0};
    for (size_t s = 0; s < result->n_sentences; s++) {
        const fc_check_sentence *sentence = &result->sentences[s];
        counts[sentence->verdict]++;
        // The probabilities of the window that entails the sentence most, and the highest
        // contradiction when another window gave it.
        char contradiction_note[40] = "";
        if (sentence->contradiction_window != sentence->window)
            snprintf(contradiction_note, sizeof contradiction_note, " (max c=%.2f)",
                     sentence->max_contradiction);
        printf("%s%-12s%s e=%.2f n=%.2f c=%.2f%s  %.*s\n", color ? colors[sentence->verdict] : "",
               fc_verdict_name(sentence->verdict), color ? "\033[0m" : "",
               sentence->probs[FC_LABEL_ENTAILMENT], sentence->probs[FC_LABEL_NEUTRAL],
               sentence->probs[FC_LABEL_CONTRADICTION], contradiction_note,
               (int)(sentence->span.end - sentence->span.start), answer + sentence->span.start);
    }
    printf("%zu sentence%s: %zu supported, %zu unsupported, %zu contradicted (%zu context "
           "window%s)\n",
           result->n_sentences, result->n_sentences == 1 ? "" : "s",
           counts[FC_VERDICT_SUPPORTED], counts[FC_VERDICT_UNSUPPORTED],
           counts[FC_VERDICT_CONTRADICTED], result->n_windows, result->n_windows == 1 ? "" : "s");
}

int cmd_check(int argc, char **argv) {
    const char *model_dir = NULL, *context_path = NULL, *answer_path = NULL;
    const char *support_text = NULL, *contradiction_text = NULL;
    int json = 0, max_batch_tokens = 8192, dtype = 0;
    const fc_arg_option options[] = {
        {.name = "--model", .kind = FC_ARG_STRING, .target = &model_dir},
        {.name = "--dtype", .kind = FC_ARG_CHOICE, .target = &dtype, .choices = fc_cli_dtypes},
        {.name = "--context", .kind = FC_ARG_STRING, .target = &context_path},
        {.name = "--answer", .kind = FC_ARG_STRING, .target = &answer_path},
        {.name = "--json", .kind = FC_ARG_FLAG, .target = &json},
        {.name = "--support-threshold", .kind = FC_ARG_STRING, .target = &support_text},
        {.name = "--contradiction-threshold", .kind = FC_ARG_STRING,
         .target = &contradiction_text},
        {.name = "--max-batch-tokens", .kind = FC_ARG_INT, .target = &max_batch_tokens,
         .min_value = 1},
    };
    int n_positional = 0;
    switch (fc_args_parse("check", argc, argv, options, sizeof options / sizeof options[0],
                          &n_positional)) {
    case FC_ARGS_HELP: fputs(usage, stdout); return FC_EXIT_OK;
    case FC_ARGS_ERROR: return FC_EXIT_USAGE;
    case FC_ARGS_OK: break;
    }
    model_dir = fc_cli_model_dir("check", model_dir);
    if (!model_dir) return fc_args_usage_error("check", "missing --model DIR");
    if (!context_path) return fc_args_usage_error("check", "missing --context FILE");
    if (!answer_path) return fc_args_usage_error("check", "missing --answer FILE");
    if (n_positional != 0) return fc_args_usage_error("check", "unexpected argument '%s'", argv[1]);
    if (strcmp(context_path, "-") == 0 && strcmp(answer_path, "-") == 0)
        return fc_args_usage_error("check", "--context and --answer cannot both be '-'");
    fc_check_options check = fc_check_default_options();
    check.max_batch_tokens = max_batch_tokens;
    if (support_text && parse_threshold("--support-threshold", support_text,
                                        &check.support_threshold) != 0)
        return FC_EXIT_USAGE;
    if (contradiction_text && parse_threshold("--contradiction-threshold", contradiction_text,
                                              &check.contradiction_threshold) != 0)
        return FC_EXIT_USAGE;

    fc_error err;
    fc_model *model = NULL;
    char *context = read_input(context_path, "--context", &err);
    char *answer = context ? read_input(answer_path, "--answer", &err) : NULL;
    int status = FC_EXIT_OK;
    fc_check_result result = {0};
    if (!context || !answer || fc_cli_load_model(model_dir, dtype, &model, &err) != 0 ||
        fc_check(model, context, answer, &check, &result, &err) != 0) {
        fprintf(stderr, "finecat: %s\n", err.message);
        status = FC_EXIT_FAILURE;
    } else if (json || !isatty(fileno(stdout))) {
        fc_textbuf out = {0};
        fc_check_result_json(&out, answer, &result, &check);
        fc_textbuf_append(&out, "\n", 1);
        fwrite(out.data, 1, out.len, stdout);
        fc_textbuf_free(&out);
    } else {
        print_text(answer, &result);
    }
    if (fflush(stdout) != 0 && status == FC_EXIT_OK) {
        fprintf(stderr, "finecat: writing the output failed\n");
        status = FC_EXIT_FAILURE;
    }
    fc_check_result_free(&result);
    fc_model_free(model);
    free(context);
    free(answer);
    return status;
}

const fc_command fc_command_check = {
    .name = "check",
    .summary = "check each sentence of an answer against a context (hallucinations)",
    .usage = usage,
    .run = cmd_check,
};
