// Runs an external screening program (an LLM client, a script) the way `curate flag
// --screen-cmd` needs: the command, through /bin/sh, reads the flagged rows on its standard
// input and writes its verdicts on its standard output. Both are files, not pipes, so a program
// that reads everything before answering and one that answers line by line both work, and
// nothing can deadlock. Its standard error is ours.
#ifndef FC_CURATE_SCREENER_H
#define FC_CURATE_SCREENER_H

#include "finecat.h"

// Runs command with stdin from input_path and stdout to output_path. timeout_s > 0 kills the
// program (and what it started) after that many seconds. Fails, with a message that says so,
// when the program cannot start, exits with a status other than 0, is killed by a signal, or
// times out.
int fc_run_screener(const char *command, const char *input_path, const char *output_path,
                    unsigned timeout_s, fc_error *err);

#endif
