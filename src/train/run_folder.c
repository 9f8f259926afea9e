#define _XOPEN_SOURCE 700 // nftw
#include "train/run_folder.h"

#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/alloc.h"
#include "util/error.h"
#include "util/file.h"

// What a run writes into its folder (loop.c, run_state.c, checkpoint.c), temporary names
// (NAME.tmp.PID, NAME.old.PID) included.
static int is_run_entry(const char *name) {
    static const char *const names[] = {"train_log.csv", "train_plot.svg", "model"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        size_t n = strlen(names[i]);
        if (strncmp(name, names[i], n) == 0 && (name[n] == '\0' || name[n] == '.')) return 1;
    }
    return strncmp(name, "checkpoint-", 11) == 0;
}

int fc_run_folder_holds_run(const char *dir) {
    DIR *d = opendir(dir);
    if (!d) return 0;
    int found = 0;
    struct dirent *e;
    while (!found && (e = readdir(d)) != NULL) found = is_run_entry(e->d_name);
    closedir(d);
    return found;
}

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw) {
    (void)st;
    (void)type;
    (void)ftw;
    return remove(path) == 0 || errno == ENOENT ? 0 : -1;
}

// Deletes the run's entries of dir, and nothing else the folder holds.
static int remove_run(const char *dir, fc_error *err) {
    DIR *d = opendir(dir);
    if (!d) return fc_fail(err, "%s: cannot open: %s", dir, strerror(errno));
    int rc = 0;
    struct dirent *e;
    while (rc == 0 && (e = readdir(d)) != NULL) {
        if (!is_run_entry(e->d_name)) continue;
        char *path = fc_path_join(dir, e->d_name);
        if (nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS) != 0)
            rc = fc_fail(err, "%s: cannot delete (--overwrite): %s", path, strerror(errno));
        free(path);
    }
    closedir(d);
    return rc;
}

int fc_run_folder_clear(const fc_train_options *o, fc_error *err) {
    if (o->resume || !o->overwrite || !fc_run_folder_holds_run(o->out)) return 0;
    return remove_run(o->out, err);
}

int fc_run_folder_check(const fc_train_options *o, fc_error *err) {
    if (o->resume || o->overwrite || !fc_run_folder_holds_run(o->out)) return 0;
    return fc_fail(err, "%s already holds a training run (train_log.csv, checkpoint-N/ or "
                        "model/): continue it with --resume %s, or delete it and start over "
                        "with --overwrite", o->out, o->out);
}
