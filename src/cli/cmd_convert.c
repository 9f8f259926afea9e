// `finecat convert`: a checkpoint folder with its weights in another dtype.
#include <stdio.h>
#include <string.h>

#include "cli/args.h"
#include "cli/commands.h"
#include "cli/default_model.h"
#include "finecat.h"
#include "io/convert.h"

static const char usage[] =
    "Usage: finecat convert --model DIR --out DIR [--dtype f16|bf16|f32]\n"
    "\n"
    "Writes the checkpoint in DIR to a new folder with every floating-point tensor in\n"
    "another dtype (rounded to nearest even; other tensors are copied), config.json's\n"
    "torch_dtype set to match, and the tokenizer files and README.md copied. f16 halves\n"
    "an fp32 checkpoint, as the model that ships with finecat is stored; finecat and\n"
    "transformers load the result like any checkpoint. A weight beyond f16's range\n"
    "(65504) is an error rather than an infinity.\n"
    "\n"
    "Options:\n"
    "  --model DIR    the checkpoint folder to read; required\n"
    "  --out DIR      the folder to write (created; its files are replaced); required\n"
    "  --dtype T      f16, bf16 or f32 (default: f16)\n"
    "  -h, --help     show this help\n";

static int run_convert(int argc, char **argv) {
    static const char *const dtypes[] = {"f16", "bf16", "f32", NULL};
    const char *model = NULL, *out = NULL;
    int dtype = 0, n_positional = 0;
    const fc_arg_option options[] = {
        {.name = "--model", .kind = FC_ARG_STRING, .target = &model},
        {.name = "--out", .kind = FC_ARG_STRING, .target = &out},
        {.name = "--dtype", .kind = FC_ARG_CHOICE, .target = &dtype, .choices = dtypes},
    };
    switch (fc_args_parse("convert", argc, argv, options, sizeof options / sizeof options[0],
                          &n_positional)) {
    case FC_ARGS_HELP: fputs(usage, stdout); return FC_EXIT_OK;
    case FC_ARGS_ERROR: return FC_EXIT_USAGE;
    case FC_ARGS_OK: break;
    }
    if (n_positional > 0) return fc_args_usage_error("convert", "unexpected argument '%s'", argv[1]);
    if (!model) return fc_args_usage_error("convert", "missing --model DIR");
    if (!out) return fc_args_usage_error("convert", "missing --out DIR");
    if (strcmp(model, out) == 0)
        return fc_args_usage_error("convert", "--out must be another folder than --model");
    static const fc_dtype targets[] = {FC_DTYPE_F16, FC_DTYPE_BF16, FC_DTYPE_F32};
    if (!(model = fc_cli_hub_model("convert", model))) return FC_EXIT_FAILURE;
    fc_error err;
    if (fc_checkpoint_convert(model, out, targets[dtype], &err) != 0) {
        fprintf(stderr, "finecat convert: %s\n", err.message);
        return FC_EXIT_FAILURE;
    }
    fprintf(stderr, "wrote %s (%s)\n", out, dtypes[dtype]);
    return FC_EXIT_OK;
}

const fc_command fc_command_convert = {
    .name = "convert",
    .summary = "rewrite a checkpoint's weights in f16, bf16 or f32",
    .usage = usage,
    .run = run_convert,
};
