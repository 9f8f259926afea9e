// Writing JSON values straight to a stream: the CLI's output is line-oriented JSON whose
// numbers should read back exactly and stay short.
#ifndef FC_CLI_JSON_WRITE_H
#define FC_CLI_JSON_WRITE_H

#include <stdio.h>

// A JSON string literal: quotes, backslashes and control characters escaped, other bytes as is.
void fc_json_write_string(FILE *out, const char *text);

// The shortest decimal that reads back as the same float (0.25, not 0.25000000000000000);
// null for NaN and infinities, which JSON cannot express.
void fc_json_write_float(FILE *out, float value);

#endif
