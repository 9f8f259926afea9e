// Reading the line-based fixture files the Python fixture scripts write: one record a line,
// split on "\n" with one trailing "\r" removed and no record for a final empty line.
#ifndef FC_TESTS_FIXTURE_LINES_H
#define FC_TESTS_FIXTURE_LINES_H

#include <stddef.h>

#include <cjson/cJSON.h>

typedef struct fixture_lines {
    char *data;
    char **items;
    size_t count;
} fixture_lines;

// The lines of path (the buffer is modified in place); -1 with a message on stderr on failure.
int fixture_lines_read(const char *path, fixture_lines *out);
void fixture_lines_free(fixture_lines *l);

// Every non-empty line of a JSONL file parsed, as a cJSON array (bad lines are reported on
// stderr and left out), or NULL when the file cannot be read.
cJSON *fixture_jsonl_read(const char *path);

#endif
