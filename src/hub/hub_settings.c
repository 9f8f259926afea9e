#include "hub/hub_settings.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/alloc.h"
#include "util/file.h"

static const char *env_or_null(const char *name) {
    const char *value = getenv(name);
    return value && *value ? value : NULL;
}

// "~/x" becomes "$HOME/x"; other paths are kept as given.
static char *expand_home(const char *path) {
    const char *home = getenv("HOME");
    if (path[0] == '~' && (path[1] == '/' || path[1] == '\0') && home && *home)
        return fc_path_join(home, path[1] ? path + 2 : "");
    return fc_strdup(path);
}

// huggingface_hub's _is_true: 1, ON, YES, TRUE in any case.
static int env_is_true(const char *value) {
    static const char *const truths[] = {"1", "ON", "YES", "TRUE"};
    for (size_t i = 0; value && i < sizeof truths / sizeof truths[0]; i++)
        if (strcasecmp(value, truths[i]) == 0) return 1;
    return 0;
}

// A token as huggingface_hub's _clean_token keeps it: without line breaks and outer spaces;
// NULL when nothing is left.
static char *clean_token(const char *text) {
    char *token = fc_malloc(strlen(text) + 1);
    size_t n = 0;
    for (const char *p = text; *p; p++)
        if (*p != '\r' && *p != '\n') token[n++] = *p;
    token[n] = '\0';
    while (n > 0 && isspace((unsigned char)token[n - 1])) token[--n] = '\0';
    size_t start = 0;
    while (isspace((unsigned char)token[start])) start++;
    memmove(token, token + start, n - start + 1);
    if (token[0] == '\0') {
        free(token);
        return NULL;
    }
    return token;
}

static char *read_token(const char *home) {
    const char *from_env = env_or_null("HF_TOKEN");
    if (!from_env) from_env = env_or_null("HUGGING_FACE_HUB_TOKEN");
    if (from_env) return clean_token(from_env);
    const char *token_path = env_or_null("HF_TOKEN_PATH");
    char *path = token_path ? expand_home(token_path) : fc_path_join(home, "token");
    char *text = NULL;
    fc_error ignored; // no token file is the common case, not an error
    char *token = NULL;
    if (fc_file_exists(path) && fc_read_file(path, &text, NULL, &ignored) == 0) token = clean_token(text);
    free(text);
    free(path);
    return token;
}

void fc_hub_settings_read(fc_hub_settings *s) {
    memset(s, 0, sizeof *s);
    char *home;
    const char *hf_home = env_or_null("HF_HOME");
    const char *xdg = env_or_null("XDG_CACHE_HOME");
    if (hf_home) {
        home = expand_home(hf_home);
    } else {
        char *cache = expand_home(xdg ? xdg : "~/.cache");
        home = fc_path_join(cache, "huggingface");
        free(cache);
    }
    const char *cache_dir = env_or_null("HF_HUB_CACHE");
    if (!cache_dir) cache_dir = env_or_null("HUGGINGFACE_HUB_CACHE");
    s->cache_dir = cache_dir ? expand_home(cache_dir) : fc_path_join(home, "hub");

    const char *endpoint = env_or_null("HF_ENDPOINT");
    s->endpoint = fc_strdup(endpoint ? endpoint : "https://huggingface.co");
    for (size_t n = strlen(s->endpoint); n > 0 && s->endpoint[n - 1] == '/'; n--) s->endpoint[n - 1] = '\0';

    s->token = read_token(home);
    const char *offline = env_or_null("HF_HUB_OFFLINE");
    s->offline = env_is_true(offline ? offline : getenv("TRANSFORMERS_OFFLINE"));
    free(home);
}

void fc_hub_settings_free(fc_hub_settings *s) {
    free(s->endpoint);
    free(s->cache_dir);
    free(s->token);
    memset(s, 0, sizeof *s);
}
