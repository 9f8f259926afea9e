// Reading the shared NLI source files the way the fixture scripts (tools/fixtures/tokens.py and
// bert_tokens.py) read them, from a source entry of a fixture's meta.json: {"path", "format",
// "a", "b"} with format jsonl, csv, tsv_header, tsv or lines.
#ifndef FC_TESTS_NLI_SOURCES_H
#define FC_TESTS_NLI_SOURCES_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "fixture_lines.h"

typedef struct nli_source {
    char **a, **b; // premise and hypothesis of each record, in file order
    size_t count;
    fixture_lines files[2];
    cJSON *json; // keeps the JSONL strings alive
} nli_source;

// Reads one source below the shared data folder; -1 with a message on stderr on failure.
int nli_source_load(const cJSON *src, nli_source *r);
void nli_source_free(nli_source *r);

#endif
