// Writing JSON back with its numbers spelled as they were read. cJSON keeps every number as a
// double and prints 2.0 as 2; transformers' config classes validate types and reject an int
// where a field is a float ("initializer_cutoff_factor": 2.0), so a config.json that finecat
// rewrites must keep the original spelling.
#ifndef FC_IO_JSON_SPELLING_H
#define FC_IO_JSON_SPELLING_H

#include <cjson/cJSON.h>

// Replaces every number of root, which was parsed from text, by a raw item holding the number
// exactly as text spells it. Members added afterwards print as cJSON prints them.
void fc_json_keep_number_spelling(cJSON *root, const char *text);

#endif
