#include "curate/output_file.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/alloc.h"
#include "util/error.h"

enum { OUTPUT_BUFFER = 1 << 20 };

int fc_output_open(fc_output_file *output, const char *path, fc_error *err) {
    memset(output, 0, sizeof *output);
    size_t size = strlen(path) + sizeof ".part";
    char *temporary = fc_malloc(size);
    snprintf(temporary, size, "%s.part", path);
    FILE *file = fopen(temporary, "wb");
    if (!file) {
        fc_fail(err, "%s: cannot write: %s", temporary, strerror(errno));
        free(temporary);
        return -1;
    }
    setvbuf(file, NULL, _IOFBF, OUTPUT_BUFFER);
    output->file = file;
    output->path = fc_strdup(path);
    output->temporary_path = temporary;
    return 0;
}

static void release(fc_output_file *output) {
    free(output->path);
    free(output->temporary_path);
    memset(output, 0, sizeof *output);
}

int fc_output_commit(fc_output_file *output, fc_error *err) {
    int status = 0;
    // fsync before rename: after a crash the name must not point at data still in the cache.
    if (fflush(output->file) != 0 || ferror(output->file) || fsync(fileno(output->file)) != 0)
        status = fc_fail(err, "%s: write error: %s", output->temporary_path, strerror(errno));
    if (fclose(output->file) != 0 && status == 0)
        status = fc_fail(err, "%s: write error: %s", output->temporary_path, strerror(errno));
    output->file = NULL;
    if (status == 0 && rename(output->temporary_path, output->path) != 0)
        status = fc_fail(err, "%s: cannot rename %s to it: %s", output->path,
                         output->temporary_path, strerror(errno));
    if (status != 0) remove(output->temporary_path);
    release(output);
    return status;
}

void fc_output_abort(fc_output_file *output) {
    if (output->file) {
        fclose(output->file);
        remove(output->temporary_path);
    }
    release(output);
}

int fc_output_write_text(const char *path, const char *text, fc_error *err) {
    fc_output_file output;
    if (fc_output_open(&output, path, err) != 0) return -1;
    fputs(text, output.file);
    return fc_output_commit(&output, err);
}
