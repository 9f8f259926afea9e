#include "curate/verdicts.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>

#include "curate/hash.h"
#include "io/json_nul.h"
#include "util/alloc.h"
#include "util/error.h"
#include "util/lines.h"

static const char *const kind_names[] = {"keep", "drop", "relabel"};

const char *fc_verdict_kind_name(fc_verdict_kind kind) {
    return (int)kind >= 0 && kind <= FC_VERDICT_RELABEL ? kind_names[kind] : "unknown";
}

static int is_blank(const char *line, size_t length) {
    for (size_t i = 0; i < length; i++)
        if (line[i] != ' ' && line[i] != '\t' && line[i] != '\r') return 0;
    return 1;
}

// The id member as text (numbers as integers where they are integers).
static int id_text(const cJSON *item, char *number, size_t size, const char **out) {
    if (cJSON_IsString(item)) {
        *out = item->valuestring;
        return 0;
    }
    if (cJSON_IsNumber(item)) {
        double v = item->valuedouble;
        if (v == floor(v) && fabs(v) < 9007199254740992.0) snprintf(number, size, "%.0f", v);
        else snprintf(number, size, "%.17g", v);
        *out = number;
        return 0;
    }
    return -1;
}

// One line: 1 with an entry, 0 for a review row without a verdict, -1 on an error.
static int parse_line(const char *line, size_t length, fc_verdict_source source,
                      fc_verdict_entry *entry, fc_error *err) {
    memset(entry, 0, sizeof *entry);
    entry->label = -1;
    cJSON *json = cJSON_ParseWithLength(line, length);
    int status = 1;
    const char *id = NULL;
    char number[32];
    const cJSON *verdict = cJSON_GetObjectItemCaseSensitive(json, "verdict");
    size_t nul_at;
    if (json && fc_json_find_nul(line, length, &nul_at)) {
        status = fc_fail(err, "column %zu: " FC_JSON_NUL_MESSAGE, nul_at + 1);
    } else if (!cJSON_IsObject(json)) {
        status = fc_fail(err, "not a JSON object (expected {\"id\", \"verdict\", ...})");
    } else if (id_text(cJSON_GetObjectItemCaseSensitive(json, "id"), number, sizeof number,
                       &id) != 0) {
        status = fc_fail(err, "missing \"id\" (a string or number)");
    } else if (!verdict || cJSON_IsNull(verdict) ||
               (cJSON_IsString(verdict) && verdict->valuestring[0] == '\0')) {
        status = source == FC_VERDICTS_REVIEW ? 0 : fc_fail(err, "id %s: missing \"verdict\"", id);
    } else if (!cJSON_IsString(verdict)) {
        status = fc_fail(err, "id %s: \"verdict\" must be \"keep\", \"drop\" or \"relabel\"", id);
    } else {
        int kind = -1;
        for (int k = 0; k <= FC_VERDICT_RELABEL; k++)
            if (strcasecmp(verdict->valuestring, kind_names[k]) == 0) kind = k;
        if (kind < 0) {
            status = fc_fail(err, "id %s: unknown verdict \"%.40s\" (keep, drop or relabel)", id,
                             verdict->valuestring);
        } else {
            entry->kind = (fc_verdict_kind)kind;
            if (kind == FC_VERDICT_RELABEL) {
                const cJSON *label = cJSON_GetObjectItemCaseSensitive(json, "label");
                entry->label = cJSON_IsString(label) ? fc_label_from_name(label->valuestring) : -1;
                if (entry->label < 0)
                    status = fc_fail(err, "id %s: a relabel needs \"label\": entailment, neutral "
                                          "or contradiction", id);
            }
            const cJSON *reason = cJSON_GetObjectItemCaseSensitive(json, "reason");
            if (status == 1 && cJSON_IsString(reason)) entry->reason = fc_strdup(reason->valuestring);
            if (status == 1) entry->id = fc_strdup(id);
        }
    }
    cJSON_Delete(json);
    return status;
}

static int add_entry(fc_verdict_list *list, fc_verdict_entry *entry, fc_error *err) {
    size_t length = strlen(entry->id);
    int inserted;
    int64_t index = fc_text_table_insert(&list->ids, entry->id, length,
                                         fc_curate_hash_bytes(entry->id, length, 0), &inserted);
    if (index < 0) return fc_fail(err, "too many verdicts");
    if (!inserted)
        return fc_fail(err, "id %s has a verdict already (line %zu)", entry->id,
                       list->entries[index].line);
    if (list->count == list->capacity) {
        list->capacity = list->capacity ? list->capacity * 2 : 256;
        list->entries = fc_realloc(list->entries, list->capacity * sizeof *list->entries);
    }
    list->entries[list->count++] = *entry;
    return 0;
}

static void free_entry(fc_verdict_entry *entry) {
    free(entry->id);
    free(entry->reason);
}

int fc_verdicts_read(const char *path, fc_verdict_source source, fc_verdict_list *list,
                     fc_error *err) {
    memset(list, 0, sizeof *list);
    fc_text_table_init(&list->ids);
    FILE *file = fopen(path, "rb");
    if (!file) return fc_fail(err, "%s: cannot open: %s", path, strerror(errno));
    fc_line_reader lines;
    fc_line_reader_init(&lines, file, path);
    char *line;
    size_t length;
    int got, status = 0;
    while (status == 0 && (got = fc_line_reader_next(&lines, &line, &length, err)) == 1) {
        if (is_blank(line, length)) continue;
        fc_verdict_entry entry;
        int parsed = parse_line(line, length, source, &entry, err);
        if (parsed < 0) {
            status = fc_fail_prefix(err, "%s:%zu", path, lines.line_number);
        } else if (parsed == 0) {
            list->without_verdict++;
        } else {
            entry.line = lines.line_number;
            if (add_entry(list, &entry, err) != 0) {
                free_entry(&entry);
                status = fc_fail_prefix(err, "%s:%zu", path, lines.line_number);
            }
        }
    }
    if (status == 0 && got < 0) status = -1;
    fc_line_reader_free(&lines);
    fclose(file);
    if (status != 0) fc_verdicts_free(list);
    return status;
}

void fc_verdicts_free(fc_verdict_list *list) {
    for (size_t i = 0; i < list->count; i++) free_entry(&list->entries[i]);
    free(list->entries);
    fc_text_table_free(&list->ids);
    memset(list, 0, sizeof *list);
}

fc_verdict_entry *fc_verdicts_find(fc_verdict_list *list, const char *id) {
    size_t length = strlen(id);
    int64_t index = fc_text_table_find(&list->ids, id, length, fc_curate_hash_bytes(id, length, 0));
    return index < 0 ? NULL : &list->entries[index];
}
