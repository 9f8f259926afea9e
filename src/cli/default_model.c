#include "cli/default_model.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int is_dir(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

const char *fc_cli_model_dir(const char *command, const char *given) {
    if (given) return given;
    const char *env = getenv("FINECAT_MODEL");
    if (env && *env) return env;
    static char beside_exe[PATH_MAX + 64];
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash) *slash = '\0';
        // build/finecat in the repository, then PREFIX/bin/finecat after `make install`.
        static const char *const layouts[] = {"%s/../models/%s", "%s/../share/finecat/models/%s"};
        for (size_t i = 0; i < sizeof layouts / sizeof layouts[0]; i++) {
            snprintf(beside_exe, sizeof beside_exe, layouts[i], exe, FC_DEFAULT_MODEL_NAME);
            if (is_dir(beside_exe)) return beside_exe;
        }
    }
    static const char in_cwd[] = "models/" FC_DEFAULT_MODEL_NAME;
    if (is_dir(in_cwd)) return in_cwd;
    fprintf(stderr, "finecat %s: no --model given, $FINECAT_MODEL is not set, and the default "
                    "model %s is not in PROGRAM_DIR/../models, PROGRAM_DIR/../share/finecat/models "
                    "(PROGRAM_DIR: %s) or ./models\n",
            command, FC_DEFAULT_MODEL_NAME, n > 0 ? exe : "unknown");
    return NULL;
}
