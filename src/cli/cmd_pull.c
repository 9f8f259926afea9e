// `finecat pull`: a model from the Hugging Face hub into the cache that transformers shares.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/args.h"
#include "cli/commands.h"
#include "finecat.h"
#include "hub/hub_id.h"

static const char usage[] =
    "Usage: finecat pull REPO_ID [--revision R] [--quiet]\n"
    "\n"
    "Downloads the files a model needs (config.json, the safetensors weights or their\n"
    "shards, the tokenizer files) from the Hugging Face hub into the huggingface_hub\n"
    "cache, checks each against the hub's etag (the sha256 of weights), and prints the\n"
    "snapshot folder on stdout. Files already in the cache are not downloaded again;\n"
    "an interrupted download resumes. Afterwards every --model takes REPO_ID (or\n"
    "REPO_ID@R) and reads the cache, without the network.\n"
    "\n"
    "  REPO_ID          org/name, optionally org/name@revision\n"
    "\n"
    "Options:\n"
    "  --revision R     a branch, tag or commit sha (default: main)\n"
    "  --quiet          no progress on stderr\n"
    "  -h, --help       show this help\n"
    "\n"
    "Environment (as huggingface_hub reads it):\n"
    "  HF_ENDPOINT      the hub (default https://huggingface.co)\n"
    "  HF_TOKEN         access token for private or gated models (else $HF_HOME/token)\n"
    "  HF_HOME          default ~/.cache/huggingface; the cache is $HF_HOME/hub\n"
    "  HF_HUB_CACHE     the cache folder itself\n"
    "  HF_HUB_OFFLINE   1: no network, answer from the cache only\n"
    "\n"
    "Example:\n"
    "  finecat pull dleemiller/finecat-nli-l\n"
    "  finecat nli --model dleemiller/finecat-nli-l \"A man plays.\" \"Someone plays.\"\n";

static int run_pull(int argc, char **argv) {
    const char *revision = NULL;
    int quiet = 0, n_positional = 0;
    const fc_arg_option options[] = {
        {.name = "--revision", .kind = FC_ARG_STRING, .target = &revision},
        {.name = "--quiet", .kind = FC_ARG_FLAG, .target = &quiet},
    };
    switch (fc_args_parse("pull", argc, argv, options, sizeof options / sizeof options[0], &n_positional)) {
    case FC_ARGS_HELP: fputs(usage, stdout); return FC_EXIT_OK;
    case FC_ARGS_ERROR: return FC_EXIT_USAGE;
    case FC_ARGS_OK: break;
    }
    if (n_positional == 0) return fc_args_usage_error("pull", "missing REPO_ID (org/name)");
    if (n_positional > 1) return fc_args_usage_error("pull", "unexpected argument '%s'", argv[2]);
    const char *repo_id = argv[1];
    if (revision && strchr(repo_id, '@'))
        return fc_args_usage_error("pull", "give the revision once: '%s' has one, and so does --revision", repo_id);
    char id_text[FC_HUB_REPO_MAX + FC_HUB_REVISION_MAX + 2];
    snprintf(id_text, sizeof id_text, "%s%s%s", repo_id, revision ? "@" : "", revision ? revision : "");
    fc_error err;
    fc_hub_id id;
    if (fc_hub_id_parse(id_text, &id, &err) != 0) return fc_args_usage_error("pull", "%s", err.message);
    char *snapshot = NULL;
    if (fc_hub_pull(id_text, quiet ? FC_HUB_PROGRESS_QUIET : FC_HUB_PROGRESS_AUTO, &snapshot, &err) != 0) {
        fprintf(stderr, "finecat pull: %s\n", err.message);
        return FC_EXIT_FAILURE;
    }
    printf("%s\n", snapshot);
    free(snapshot);
    return FC_EXIT_OK;
}

const fc_command fc_command_pull = {
    .name = "pull",
    .summary = "download a model from the Hugging Face hub (org/name) into its cache",
    .usage = usage,
    .run = run_pull,
};
