#include "serve/model_identity.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "util/alloc.h"
#include "util/file.h"

void fc_model_identity(const char *dir, char **model_id, char **architecture) {
    size_t len = strlen(dir);
    while (len > 1 && dir[len - 1] == '/') len--;
    size_t start = len;
    while (start > 0 && dir[start - 1] != '/') start--;
    char *id = fc_strndup(dir + start, len - start);
    char *arch = fc_strdup("");
    char path[4096], *text = NULL;
    fc_error err;
    snprintf(path, sizeof path, "%s/config.json", dir);
    if (len > 0 && fc_read_file(path, &text, NULL, &err) == 0) {
        cJSON *config = cJSON_Parse(text);
        const cJSON *type = cJSON_GetObjectItemCaseSensitive(config, "model_type");
        if (cJSON_IsString(type)) {
            free(arch);
            arch = fc_strdup(type->valuestring);
        }
        cJSON_Delete(config);
        free(text);
    }
    *model_id = id;
    *architecture = arch;
}
