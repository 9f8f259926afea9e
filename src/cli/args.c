#include "cli/args.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int fc_args_usage_error(const char *command, const char *fmt, ...) {
    fprintf(stderr, "finecat %s: ", command);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nTry 'finecat %s --help'.\n", command);
    return FC_EXIT_USAGE;
}

static const fc_arg_option *find_option(const fc_arg_option *options, size_t n_options,
                                        const char *name, size_t name_len) {
    for (size_t i = 0; i < n_options; i++) {
        if (strlen(options[i].name) == name_len && strncmp(options[i].name, name, name_len) == 0)
            return &options[i];
    }
    return NULL;
}

static int parse_int(const char *command, const fc_arg_option *option, const char *value) {
    char *end;
    errno = 0;
    long number = strtol(value, &end, 10);
    if (*value == '\0' || *end != '\0' || errno == ERANGE || number < INT_MIN ||
        number > INT_MAX) {
        fc_args_usage_error(command, "%s: '%s' is not an integer", option->name, value);
        return -1;
    }
    if (number < option->min_value) {
        fc_args_usage_error(command, "%s: %ld is too small (at least %d)", option->name, number,
                            option->min_value);
        return -1;
    }
    *(int *)option->target = (int)number;
    return 0;
}

static int parse_choice(const char *command, const fc_arg_option *option, const char *value) {
    for (int i = 0; option->choices[i]; i++) {
        if (strcmp(option->choices[i], value) == 0) {
            *(int *)option->target = i;
            return 0;
        }
    }
    char allowed[256] = "";
    for (int i = 0; option->choices[i]; i++) {
        size_t used = strlen(allowed);
        snprintf(allowed + used, sizeof allowed - used, "%s%s", i ? ", " : "",
                 option->choices[i]);
    }
    fc_args_usage_error(command, "%s: '%s' is not one of %s", option->name, value, allowed);
    return -1;
}

static int set_value(const char *command, const fc_arg_option *option, const char *value) {
    switch (option->kind) {
    case FC_ARG_STRING:
        *(const char **)option->target = value;
        return 0;
    case FC_ARG_INT:
        return parse_int(command, option, value);
    case FC_ARG_CHOICE:
        return parse_choice(command, option, value);
    case FC_ARG_FLAG:
        break;
    }
    return -1;
}

fc_args_result fc_args_parse(const char *command, int argc, char **argv,
                             const fc_arg_option *options, size_t n_options, int *n_positional) {
    int positional = 0;
    int options_ended = 0;
    for (int i = 1; i < argc; i++) {
        char *arg = argv[i];
        if (options_ended || arg[0] != '-' || strcmp(arg, "-") == 0) {
            argv[1 + positional++] = arg; // never ahead of i, so nothing unread is overwritten
            continue;
        }
        if (strcmp(arg, "--") == 0) {
            options_ended = 1;
            continue;
        }
        if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) return FC_ARGS_HELP;

        const char *equals = strchr(arg, '=');
        size_t name_len = equals ? (size_t)(equals - arg) : strlen(arg);
        const fc_arg_option *option = find_option(options, n_options, arg, name_len);
        if (!option) {
            fc_args_usage_error(command, "unknown option '%.*s'", (int)name_len, arg);
            return FC_ARGS_ERROR;
        }
        if (option->kind == FC_ARG_FLAG) {
            if (equals) {
                fc_args_usage_error(command, "%s takes no value", option->name);
                return FC_ARGS_ERROR;
            }
            *(int *)option->target = 1;
            continue;
        }
        const char *value;
        if (equals) {
            value = equals + 1;
        } else if (i + 1 < argc) {
            value = argv[++i];
        } else {
            fc_args_usage_error(command, "%s needs a value", option->name);
            return FC_ARGS_ERROR;
        }
        if (set_value(command, option, value) != 0) return FC_ARGS_ERROR;
    }
    *n_positional = positional;
    return FC_ARGS_OK;
}
