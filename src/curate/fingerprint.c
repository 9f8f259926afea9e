#include "curate/fingerprint.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "curate/hash.h"
#include "util/alloc.h"
#include "util/error.h"
#include "util/file.h"

int fc_file_fingerprint(const char *path, uint64_t *hash, uint64_t *size, fc_error *err) {
    FILE *file = fopen(path, "rb");
    if (!file) return fc_fail(err, "%s: cannot open: %s", path, strerror(errno));
    enum { BLOCK = 1 << 20 };
    unsigned char *block = fc_malloc(BLOCK);
    uint64_t state = fc_curate_hash_begin(0), total = 0;
    size_t got;
    while ((got = fread(block, 1, BLOCK, file)) > 0) {
        state = fc_curate_hash_update(state, block, got);
        total += got;
    }
    int failed = ferror(file);
    fclose(file);
    free(block);
    if (failed) return fc_fail(err, "%s: read error", path);
    *hash = fc_curate_hash_end(state);
    *size = total;
    return 0;
}

static int compare_names(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int has_suffix(const char *name, const char *suffix) {
    size_t n = strlen(name), m = strlen(suffix);
    return n >= m && strcmp(name + n - m, suffix) == 0;
}

// Content, not dates: new weights under an old name are noticed, a copied folder is the same.
int fc_model_fingerprint(const char *dir, char *hex, size_t hex_size, fc_error *err) {
    DIR *folder = opendir(dir);
    if (!folder) return fc_fail(err, "%s: cannot open the model folder: %s", dir, strerror(errno));
    char **names = NULL;
    size_t n = 0;
    struct dirent *entry;
    while ((entry = readdir(folder)) != NULL) {
        if (!has_suffix(entry->d_name, ".json") && !has_suffix(entry->d_name, ".safetensors"))
            continue;
        names = fc_realloc(names, (n + 1) * sizeof *names);
        names[n++] = fc_strdup(entry->d_name);
    }
    closedir(folder);
    qsort(names, n, sizeof *names, compare_names);
    uint64_t state = fc_curate_hash_begin(0);
    int status = 0;
    for (size_t i = 0; i < n; i++) {
        char *path = fc_path_join(dir, names[i]);
        uint64_t hash = 0, size = 0;
        if (status == 0 && fc_file_fingerprint(path, &hash, &size, err) != 0) status = -1;
        state = fc_curate_hash_update(state, names[i], strlen(names[i]) + 1);
        state = fc_curate_hash_update(state, &hash, sizeof hash);
        state = fc_curate_hash_update(state, &size, sizeof size);
        free(path);
        free(names[i]);
    }
    free(names);
    snprintf(hex, hex_size, "%016llx", (unsigned long long)fc_curate_hash_end(state));
    return status;
}
