// The zero-shot pipeline's text handling (model-reference.md §6 step 1): Python's str.format
// with one positional argument, for the hypothesis template, and the split of a
// comma-separated label string.
#ifndef FC_TASKS_ZEROSHOT_TEMPLATE_H
#define FC_TASKS_ZEROSHOT_TEMPLATE_H

#include "finecat.h"

// template.format(arg) as Python computes it, into a new string (*out, free with free()).
// Supported: literal text with "{{" and "}}", fields "{}" or "{0}" (any run of zeros), index
// accessors "{0[N]}", conversions !s !r !a, and the string format spec
// [[fill]align][0][width][.precision][s]. Everything Python rejects for a str argument is an
// error here too (a second field "{}{}", "{1}", "{name}", mixed numbering, a sign, '#', ',',
// '_', '=', other type codes, unmatched braces). Two things Python would accept are errors
// here, as no useful template needs them: attribute access ("{0.upper}") and replacement
// fields nested in a format spec ("{:{}}").
int fc_pyformat(const char *template, const char *arg, char **out, fc_error *err);

#endif
