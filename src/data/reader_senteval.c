// SentEval's NLI layout (also e-SNLI's copy of SNLI): three line-aligned files s1.X (premises),
// s2.X (hypotheses) and labels.X (label names). Line i of each is one pair.
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "data/reader_internal.h"
#include "util/alloc.h"
#include "util/error.h"
#include "util/file.h"
#include "util/lines.h"

enum { PREMISES, HYPOTHESES, LABELS, N_FILES };
static const char *const file_kinds[N_FILES] = {"s1", "s2", "labels"};

typedef struct senteval_state {
    char *paths[N_FILES];
    FILE *files[N_FILES];
    fc_line_reader lines[N_FILES];
} senteval_state;

static char *join_kind(const char *dir, size_t dir_len, const char *kind, const char *suffix) {
    size_t n = dir_len + strlen(kind) + 1 + strlen(suffix) + 1;
    char *path = fc_malloc(n);
    snprintf(path, n, "%.*s%s.%s", (int)dir_len, dir, kind, suffix);
    return path;
}

int fc_senteval_paths(const char *path, char **s1, char **s2, char **labels) {
    const char *slash = strrchr(path, '/');
    const char *name = slash ? slash + 1 : path;
    size_t dir_len = (size_t)(name - path);
    const char *suffix = NULL;
    // One of the three files named: s1.dev, s2.dev or labels.dev.
    for (int k = 0; k < N_FILES && !suffix; k++) {
        size_t len = strlen(file_kinds[k]);
        if (strncmp(name, file_kinds[k], len) == 0 && name[len] == '.' && name[len + 1])
            suffix = name + len + 1;
    }
    // Or the common prefix: DIR/dev for DIR/s1.dev.
    if (!suffix && *name) {
        char *probe = join_kind(path, dir_len, "s1", name);
        if (fc_file_exists(probe)) suffix = name;
        free(probe);
    }
    if (!suffix) return -1;
    char *paths[N_FILES];
    for (int k = 0; k < N_FILES; k++) paths[k] = join_kind(path, dir_len, file_kinds[k], suffix);
    *s1 = paths[PREMISES];
    *s2 = paths[HYPOTHESES];
    *labels = paths[LABELS];
    return 0;
}

// The files end every text with a space (they are PTB-tokenized and joined with spaces); the
// texts are the lines without it, as SentEval reads them (line.rstrip()).
static void strip_trailing_space(char *line, size_t *length) {
    while (*length > 0 && (line[*length - 1] == ' ' || line[*length - 1] == '\t'))
        line[--*length] = '\0';
}

static int senteval_next_row(fc_reader *reader, fc_record *record, fc_row_problem *problem,
                             fc_error *err) {
    senteval_state *state = reader->state;
    char *line[N_FILES];
    size_t length[N_FILES];
    for (;;) {
        int got[N_FILES];
        for (int k = 0; k < N_FILES; k++) {
            got[k] = fc_line_reader_next(&state->lines[k], &line[k], &length[k], err);
            if (got[k] < 0) return -1;
        }
        if (!got[0] && !got[1] && !got[2]) return 0;
        for (int k = 0; k < N_FILES; k++) {
            if (!got[k]) {
                int longer = got[0] ? 0 : got[1] ? 1 : 2;
                return fc_fail(err, "%s: ends at line %zu, but %s goes on: the three files "
                                    "must have the same number of lines",
                               state->paths[k], state->lines[k].line_number,
                               state->paths[longer]);
            }
        }
        strip_trailing_space(line[PREMISES], &length[PREMISES]);
        strip_trailing_space(line[HYPOTHESES], &length[HYPOTHESES]);
        // A line blank in all three files is no row (a trailing empty line, say).
        if (length[PREMISES] || length[HYPOTHESES] || length[LABELS]) break;
    }
    record->line = state->lines[PREMISES].line_number;
    for (int k = 0; k < N_FILES; k++) {
        const char *nul = memchr(line[k], '\0', length[k]);
        if (nul) // read as C strings, the line would be cut short there
            return fc_row_skip(problem, FC_SKIP_MALFORMED,
                               "%s: a NUL byte at byte %zu, which finecat's texts cannot "
                               "contain; it is refused rather than cut short",
                               state->paths[k], (size_t)(nul - line[k]));
    }
    record->premise = line[PREMISES];
    record->hypothesis = line[HYPOTHESES];
    record->id = fc_reader_row_number_id(reader);
    int outcome = fc_label_rules_text(&reader->labels, line[LABELS]);
    if (outcome < 0) return fc_row_skip_label(reader, problem, outcome, "label", line[LABELS]);
    record->label = outcome;
    return 1;
}

static uint64_t senteval_bytes_done(const fc_reader *reader) {
    const senteval_state *state = reader->state;
    long at = ftell(state->files[PREMISES]);
    return at > 0 ? (uint64_t)at : 0;
}

static void senteval_close(fc_reader *reader) {
    senteval_state *state = reader->state;
    if (!state) return;
    for (int k = 0; k < N_FILES; k++) {
        fc_line_reader_free(&state->lines[k]);
        if (state->files[k]) fclose(state->files[k]);
        free(state->paths[k]);
    }
    free(state);
    reader->state = NULL;
}

static const fc_reader_backend senteval_backend = {
    .next_row = senteval_next_row,
    .bytes_done = senteval_bytes_done,
    .close = senteval_close,
};

int fc_reader_open_senteval(fc_reader *reader, fc_error *err) {
    senteval_state *state = fc_calloc(1, sizeof *state);
    reader->state = state;
    if (fc_senteval_paths(reader->path, &state->paths[PREMISES], &state->paths[HYPOTHESES],
                          &state->paths[LABELS]) != 0) {
        senteval_close(reader);
        return fc_fail(err, "%s: not a SentEval path: name s1.X, s2.X or labels.X, or the prefix "
                            "DIR/X of DIR/s1.X",
                       reader->path);
    }
    for (int k = 0; k < N_FILES; k++) {
        state->files[k] = fopen(state->paths[k], "rb");
        if (!state->files[k]) {
            fc_fail(err, "%s: cannot open: %s", state->paths[k], strerror(errno));
            senteval_close(reader);
            return -1;
        }
        fc_line_reader_init(&state->lines[k], state->files[k], state->paths[k]);
    }
    struct stat st;
    reader->size = stat(state->paths[PREMISES], &st) == 0 ? (uint64_t)st.st_size : 0;
    reader->backend = &senteval_backend;
    return 0;
}
