// Typed reads of JSON object fields with errors that name the file and the key.
#ifndef FC_IO_JSON_FIELDS_H
#define FC_IO_JSON_FIELDS_H

#include <cjson/cJSON.h>

#include "finecat.h"

// Parses a whole JSON file; the error names the file and the byte offset of a syntax error.
int fc_json_load_file(const char *path, cJSON **out, fc_error *err);

// Required fields: a missing key or a wrong type is an error "PATH: missing key "KEY"" or
// "PATH: key "KEY" must be ...".
int fc_json_require_int(const cJSON *obj, const char *key, const char *path, int *out,
                        fc_error *err);
int fc_json_require_string(const cJSON *obj, const char *key, const char *path,
                           const char **out, fc_error *err);

// Optional fields: absent or null gives the default; present with the wrong type is an error.
int fc_json_int_or(const cJSON *obj, const char *key, int fallback, const char *path, int *out,
                   fc_error *err);
int fc_json_double_or(const cJSON *obj, const char *key, double fallback, const char *path,
                      double *out, fc_error *err);
int fc_json_bool_or(const cJSON *obj, const char *key, int fallback, const char *path, int *out,
                    fc_error *err);
int fc_json_string_or(const cJSON *obj, const char *key, const char *fallback, const char *path,
                      const char **out, fc_error *err);

#endif
