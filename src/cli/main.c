// finecat: the command-line program, a thin shell over the library. This file only finds the
// subcommand; each lives in its own cmd_*.c.
#include <stdio.h>
#include <string.h>

#include "cli/args.h"
#include "cli/commands.h"
#include "dist/dist.h"
#include "finecat.h"

static const fc_command *const commands[] = {
    &fc_command_nli,
    &fc_command_predict,
    &fc_command_tokenize,
    &fc_command_zeroshot,
    &fc_command_check,
    &fc_command_serve,
    &fc_command_eval,
    &fc_command_bench,
    &fc_command_train,
    &fc_command_curate,
    &fc_command_convert,
    &fc_command_pull,
};
enum { N_COMMANDS = sizeof commands / sizeof commands[0] };

static void print_usage(FILE *out) {
    fprintf(out, "finecat %s: NLI cross-encoders (ModernBERT, DeBERTa-v3) in C\n\n"
                 "Usage: finecat COMMAND [OPTIONS] [ARGS]\n\n"
                 "Commands:\n",
            FINECAT_VERSION);
    for (int i = 0; i < N_COMMANDS; i++)
        fprintf(out, "  %-10s %s\n", commands[i]->name, commands[i]->summary);
    fprintf(out, "  %-10s %s\n", "help", "show the help of a command: finecat help COMMAND");
    fprintf(out, "\nOptions:\n"
                 "  -h, --help     show this help\n"
                 "  -V, --version  print the version\n\n"
                 "Exit status: 0 success, 1 failure (model, input or output), 2 bad command line.\n"
                 "Run 'finecat COMMAND --help' for the options of a command.\n");
}

static const fc_command *find_command(const char *name) {
    for (int i = 0; i < N_COMMANDS; i++)
        if (strcmp(commands[i]->name, name) == 0) return commands[i];
    return NULL;
}

static int unknown_command(const char *name) {
    fprintf(stderr, "finecat: unknown command '%s'\n\n", name);
    print_usage(stderr);
    return FC_EXIT_USAGE;
}

// `finecat help [COMMAND]`
static int run_help(int argc, char **argv) {
    if (argc < 3) {
        print_usage(stdout);
        return FC_EXIT_OK;
    }
    if (argc > 3) return fc_args_usage_error("help", "expected one COMMAND, got %d", argc - 2);
    if (strcmp(argv[2], "-h") == 0 || strcmp(argv[2], "--help") == 0) {
        print_usage(stdout);
        return FC_EXIT_OK;
    }
    const fc_command *command = find_command(argv[2]);
    if (!command) return unknown_command(argv[2]);
    fputs(command->usage, stdout);
    return FC_EXIT_OK;
}

int main(int argc, char **argv) {
    // A --model given as a hub id may download: show it (a bar on a terminal, lines otherwise).
    fc_hub_set_progress(FC_HUB_PROGRESS_AUTO);
    if (argc < 2) {
        print_usage(stderr);
        return FC_EXIT_USAGE;
    }
    const char *name = argv[1];
    if (strcmp(name, "-h") == 0 || strcmp(name, "--help") == 0) {
        print_usage(stdout);
        return FC_EXIT_OK;
    }
    if (strcmp(name, "-V") == 0 || strcmp(name, "--version") == 0) {
        printf("finecat %s\n", FINECAT_VERSION);
        return FC_EXIT_OK;
    }
    if (strcmp(name, "help") == 0) return run_help(argc, argv);
    if (name[0] == '-') {
        fprintf(stderr, "finecat: unknown option '%s'\n\n", name);
        print_usage(stderr);
        return FC_EXIT_USAGE;
    }
    const fc_command *command = find_command(name);
    if (!command) return unknown_command(name);
    // Commands that run across MPI ranks (train, curate score/teacher, eval, predict) start MPI
    // on first use; it ends here, with an abort when this rank failed alone.
    return fc_dist_finish(command->run(argc - 1, argv + 1));
}
