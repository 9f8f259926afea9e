// The subcommands of the finecat program; main.c dispatches to them by name.
#ifndef FC_CLI_COMMANDS_H
#define FC_CLI_COMMANDS_H

typedef struct fc_command {
    const char *name;
    const char *summary; // one line for `finecat --help`
    const char *usage;   // the whole `finecat NAME --help` text
    int (*run)(int argc, char **argv); // argv[0] is the command's name; returns the exit status
} fc_command;

extern const fc_command fc_command_nli;
extern const fc_command fc_command_predict;
extern const fc_command fc_command_tokenize;
extern const fc_command fc_command_zeroshot;
extern const fc_command fc_command_check;
extern const fc_command fc_command_serve;
extern const fc_command fc_command_eval;
extern const fc_command fc_command_bench;
extern const fc_command fc_command_train;
extern const fc_command fc_command_curate;
extern const fc_command fc_command_convert;
extern const fc_command fc_command_pull;

#endif
