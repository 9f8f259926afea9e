// Option parsing shared by every subcommand: each command lists its options in a table and
// gets back its positional arguments; messages and exit codes are the same everywhere.
#ifndef FC_CLI_ARGS_H
#define FC_CLI_ARGS_H

#include <stddef.h>

// Exit statuses of the finecat program.
enum {
    FC_EXIT_OK = 0,
    FC_EXIT_FAILURE = 1, // the work failed: a model that does not load, bad input, I/O
    FC_EXIT_USAGE = 2,   // the command line is wrong
};

typedef enum fc_arg_kind {
    FC_ARG_FLAG,   // no value; sets *(int *)target to 1
    FC_ARG_STRING, // sets *(const char **)target to the value
    FC_ARG_INT,    // sets *(int *)target to the value, which must be at least min_value
    FC_ARG_CHOICE, // sets *(int *)target to the index of the value in choices
} fc_arg_kind;

typedef struct fc_arg_option {
    const char *name; // with its dashes: "--batch-size"
    fc_arg_kind kind;
    void *target;
    int min_value;               // FC_ARG_INT only
    const char *const *choices;  // FC_ARG_CHOICE only: NULL-terminated
} fc_arg_option;

typedef enum fc_args_result {
    FC_ARGS_OK,
    FC_ARGS_HELP,  // -h or --help was given: print the usage, exit 0
    FC_ARGS_ERROR, // a message went to stderr: exit FC_EXIT_USAGE
} fc_args_result;

// Parses argv[1..argc) of subcommand `command` (argv[0] is its name). Options take their value
// as "--name VALUE" or "--name=VALUE" and may come anywhere; "--" ends the options; "-" alone
// is a positional argument. The positional arguments are moved, in order, to argv[1..] and
// their count is stored in *n_positional.
fc_args_result fc_args_parse(const char *command, int argc, char **argv,
                             const fc_arg_option *options, size_t n_options, int *n_positional);

// Prints "finecat COMMAND: MESSAGE" and a pointer to --help on stderr; returns FC_EXIT_USAGE.
int fc_args_usage_error(const char *command, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
