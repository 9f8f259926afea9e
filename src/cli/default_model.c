#include "cli/default_model.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "finecat.h"
#include "hub/hub_id.h"

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

// The folders fc_cli_hub_model resolved: they live as long as the program, as the option
// strings they replace do, and are held here so that a leak checker sees them reachable.
static char *hub_model_dirs[16];
static int n_hub_model_dirs;

const char *fc_cli_hub_model(const char *command, const char *model) {
    if (!model || is_dir(model) || !fc_hub_id_looks_like(model)) return model;
    char *dir = NULL;
    fc_error err;
    if (fc_model_path_resolve(model, &dir, &err) != 0) {
        fprintf(stderr, "finecat %s: %s\n", command, err.message);
        return NULL;
    }
    if (n_hub_model_dirs < 16) hub_model_dirs[n_hub_model_dirs++] = dir;
    return dir;
}
