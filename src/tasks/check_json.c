// fc_check_json: the hallucination check with its result as the JSON text that `finecat check`
// prints and the server's /check returns, for bindings (Python's ctypes) that would otherwise
// mirror fc_check_result's nested structs field by field.
#include "finecat.h"
#include "tasks/result_json.h"

int fc_check_json(fc_model *model, const char *context, const char *answer,
                  const fc_check_options *options, char **json, fc_error *err) {
    *json = NULL;
    fc_check_options defaults = fc_check_default_options();
    if (!options) options = &defaults;
    fc_check_result result = {0};
    if (fc_check(model, context, answer, options, &result, err) != 0) return -1;
    fc_textbuf out = {0};
    fc_check_result_json(&out, answer, &result, options);
    fc_check_result_free(&result);
    fc_jsonbuf_cstr(&out);
    *json = out.data; // fc_textbuf grows with realloc, so free() (or fc_free) releases it
    return 0;
}
