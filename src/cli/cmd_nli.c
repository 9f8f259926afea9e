// `finecat nli`: classifies one premise/hypothesis pair given on the command line.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/args.h"
#include "cli/commands.h"
#include "cli/dtype_option.h"
#include "cli/default_model.h"
#include "cli/json_write.h"
#include "cli/nli_result.h"
#include "finecat.h"
#include "tasks/nli.h"
#include "util/alloc.h"

static const char usage[] =
    "Usage: finecat nli [--model DIR] [OPTIONS] PREMISE HYPOTHESIS\n"
    "\n"
    "Classifies one premise/hypothesis pair. Prints each of the model's labels\n"
    "with its probability (softmax of the logits), in the model's label order\n"
    "(id2label); '*' marks the predicted label.\n"
    "\n"
    "Options:\n"
    "  --dtype T        weights in memory: f32 (default), bf16 or int8 (the\n"
    "                   CPU's matrix engines), f16 (half the memory; AVX512-FP16\n"
    "                   where the CPU has it, else fp32 math)\n"
    "  --model DIR      model folder (config.json, model.safetensors,\n"
    "                   tokenizer.json); default: the model that ships\n"
    "                   with finecat (models/finecat-nli-minilm), or\n"
    "                   $FINECAT_MODEL\n"
    "  --max-length N   truncate the pair to N tokens, longer text first\n"
    "                   (default: the model's max length, the smaller of\n"
    "                   model_max_length and max_position_embeddings)\n"
    "  --json           print one JSON object instead, with premise,\n"
    "                   hypothesis, probabilities {label: p}, logits (raw,\n"
    "                   model order) and label (the predicted one)\n"
    "  -h, --help       show this help\n"
    "\n"
    "Example:\n"
    "  finecat nli --model models/finecat-nli-l \\\n"
    "      'A man is playing a guitar on stage.' 'A person is making music.'\n";

static void print_json(const fc_model *model, const fc_pair *pair, const float *logits) {
    fputs("{\"premise\":", stdout);
    fc_json_write_string(stdout, pair->premise);
    fputs(",\"hypothesis\":", stdout);
    fc_json_write_string(stdout, pair->hypothesis);
    fputc(',', stdout);
    fc_result_write_members(stdout, model, logits);
    fputs("}\n", stdout);
}

static void print_table(const fc_model *model, const float *logits) {
    int num_labels = fc_model_num_labels(model);
    int predicted = fc_result_predicted(logits, num_labels);
    float *probs = fc_malloc((size_t)num_labels * sizeof *probs);
    fc_softmax(logits, num_labels, probs);
    int width = 0;
    for (int i = 0; i < num_labels; i++) {
        int len = (int)strlen(fc_model_label_name(model, i));
        if (len > width) width = len;
    }
    // Bold on a terminal as well as the '*', which is what survives a pipe.
    int bold = isatty(fileno(stdout)) && !getenv("NO_COLOR");
    for (int i = 0; i < num_labels; i++) {
        int is_predicted = i == predicted;
        printf("%s%s %-*s  %.4f%s\n", is_predicted && bold ? "\033[1m" : "",
               is_predicted ? "*" : " ", width, fc_model_label_name(model, i), probs[i],
               is_predicted && bold ? "\033[0m" : "");
    }
    free(probs);
}

static int run_nli(int argc, char **argv) {
    const char *model_dir = NULL;
    int max_length = 0, dtype = 0;
    int json = 0;
    const fc_arg_option options[] = {
        {.name = "--model", .kind = FC_ARG_STRING, .target = &model_dir},
        {.name = "--dtype", .kind = FC_ARG_CHOICE, .target = &dtype, .choices = fc_cli_dtypes},
        {.name = "--max-length", .kind = FC_ARG_INT, .target = &max_length, .min_value = 1},
        {.name = "--json", .kind = FC_ARG_FLAG, .target = &json},
    };
    int n_positional = 0;
    switch (fc_args_parse("nli", argc, argv, options, sizeof options / sizeof options[0],
                          &n_positional)) {
    case FC_ARGS_HELP: fputs(usage, stdout); return FC_EXIT_OK;
    case FC_ARGS_ERROR: return FC_EXIT_USAGE;
    case FC_ARGS_OK: break;
    }
    model_dir = fc_cli_model_dir("nli", model_dir);
    if (!model_dir) return fc_args_usage_error("nli", "missing --model DIR");
    if (n_positional != 2)
        return fc_args_usage_error("nli", "expected PREMISE and HYPOTHESIS, got %d argument%s",
                                   n_positional, n_positional == 1 ? "" : "s");
    fc_pair pair = {.premise = argv[1], .hypothesis = argv[2]};

    fc_error err;
    fc_model *model = NULL;
    if (fc_cli_load_model(model_dir, dtype, &model, &err) != 0) {
        fprintf(stderr, "finecat: %s\n", err.message);
        return FC_EXIT_FAILURE;
    }
    fc_nli_options nli = fc_nli_default_options();
    nli.max_length = max_length;
    float *logits = fc_malloc((size_t)fc_model_num_labels(model) * sizeof *logits);
    fc_ids encoded = {0};
    // Encoding apart from the run keeps the message free of a pair index ("hypothesis: ...").
    int status = FC_EXIT_OK;
    if (fc_nli_encode_pair(model, &pair, &nli, &encoded, &err) != 0 ||
        fc_nli_logits_encoded(model, &encoded, 1, 1, logits, &err) != 0) {
        fprintf(stderr, "finecat: %s\n", err.message);
        status = FC_EXIT_FAILURE;
    } else if (json) {
        print_json(model, &pair, logits);
    } else {
        print_table(model, logits);
    }
    fc_ids_free(&encoded);
    free(logits);
    fc_model_free(model);
    return status;
}

const fc_command fc_command_nli = {
    .name = "nli",
    .summary = "classify one premise/hypothesis pair",
    .usage = usage,
    .run = run_nli,
};
