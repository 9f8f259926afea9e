#include "train/data.h"

#include <stdlib.h>
#include <string.h>

#include "data/dataset.h"
#include "util/alloc.h"
#include "util/error.h"

static uint64_t fnv1a(uint64_t h, const void *data, size_t n) {
    const unsigned char *p = data;
    for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 0x100000001b3ULL;
    return h;
}

static int add_record(fc_train_set *set, const fc_record *rec, const fc_tokenizer *tok,
                      int max_length, fc_ids *ids, fc_error *err) {
    if (rec->label < 0) { // no gold label: nothing to train or score on
        set->n_skipped++;
        return 0;
    }
    if (fc_tokenizer_encode_pair(tok, rec->premise, rec->hypothesis, max_length,
                                 FC_TRUNCATE_LONGEST_FIRST, ids, err) != 0)
        return fc_fail_prefix(err, "%s:%zu", set->path, rec->line);
    fc_train_row row = {.first = set->n_tokens, .length = (int)ids->len, .label = rec->label,
                        .has_teacher = rec->has_teacher_logits, .line = rec->line};
    if (row.has_teacher) memcpy(row.teacher, rec->teacher_logits, sizeof row.teacher);
    set->tokens = fc_realloc(set->tokens, (set->n_tokens + ids->len) * sizeof *set->tokens);
    memcpy(set->tokens + set->n_tokens, ids->ids, ids->len * sizeof *set->tokens);
    set->n_tokens += ids->len;
    set->rows = fc_realloc(set->rows, (set->n_rows + 1) * sizeof *set->rows);
    set->rows[set->n_rows++] = row;
    set->n_teacher += (size_t)row.has_teacher;
    set->fingerprint = fnv1a(set->fingerprint, ids->ids, ids->len * sizeof *ids->ids);
    set->fingerprint = fnv1a(set->fingerprint, &row.label, sizeof row.label);
    if (row.has_teacher) set->fingerprint = fnv1a(set->fingerprint, row.teacher, sizeof row.teacher);
    return 0;
}

int fc_train_set_read(fc_train_set *set, const char *name, const char *path,
                      const fc_tokenizer *tok, int max_length, fc_error *err) {
    memset(set, 0, sizeof *set);
    set->name = fc_strdup(name);
    set->path = fc_strdup(path);
    set->fingerprint = 0xcbf29ce484222325ULL; // FNV-1a offset basis
    fc_reader *reader = NULL;
    if (fc_reader_open(path, FC_FORMAT_AUTO, NULL, &reader, err) != 0) {
        fc_train_set_free(set);
        return -1;
    }
    fc_ids ids = {0};
    fc_record rec;
    int rc;
    while ((rc = fc_reader_next(reader, &rec, err)) == 1)
        if (add_record(set, &rec, tok, max_length, &ids, err) != 0) {
            rc = -1;
            break;
        }
    set->n_skipped += fc_reader_counts_skipped(fc_reader_counts_of(reader));
    fc_reader_close(reader);
    fc_ids_free(&ids);
    if (rc == 0 && set->n_rows == 0) rc = fc_fail(err, "%s: no labelled rows", path);
    if (rc != 0) fc_train_set_free(set);
    return rc;
}

void fc_train_set_free(fc_train_set *set) {
    free(set->name);
    free(set->path);
    free(set->rows);
    free(set->tokens);
    memset(set, 0, sizeof *set);
}
