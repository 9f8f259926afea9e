#include "hub/hub_id.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "util/error.h"

static int is_name_char(char c) {
    return isalnum((unsigned char)c) || c == '-' || c == '_' || c == '.';
}

// One of the two parts of a repo id, [start, start + len): huggingface_hub's REPO_ID_REGEX
// (\b[\w\-.]+\b, ASCII here) and its bans on "--" and ".." (which the cache folder name
// "models--org--name" could not tell apart) and on a leading or trailing '-' or '.'.
static const char *part_problem(const char *start, size_t len) {
    if (len == 0) return "an empty organisation or name";
    for (size_t i = 0; i < len; i++)
        if (!is_name_char(start[i])) return "a character other than letters, digits, '-', '_', '.'";
    if (start[0] == '-' || start[0] == '.' || start[len - 1] == '-' || start[len - 1] == '.')
        return "a part that starts or ends with '-' or '.'";
    for (size_t i = 0; i + 1 < len; i++)
        if ((start[i] == '-' && start[i + 1] == '-') || (start[i] == '.' && start[i + 1] == '.'))
            return "\"--\" or \"..\"";
    return NULL;
}

// What is wrong with text as "org/name[@revision]", or NULL when it is a hub id.
static const char *id_problem(const char *text, size_t *repo_len) {
    const char *at = strchr(text, '@');
    size_t len = at ? (size_t)(at - text) : strlen(text);
    *repo_len = len;
    const char *slash = memchr(text, '/', len);
    if (!slash) return "no '/' between organisation and name (expected org/name)";
    if (memchr(slash + 1, '/', len - (size_t)(slash + 1 - text)))
        return "more than one '/' (expected org/name)";
    if (len > FC_HUB_REPO_MAX) return "longer than 96 characters";
    const char *problem = part_problem(text, (size_t)(slash - text));
    if (!problem) problem = part_problem(slash + 1, len - (size_t)(slash + 1 - text));
    if (problem) return problem;
    if (at) {
        const char *rev = at + 1;
        size_t rev_len = strlen(rev);
        if (rev_len == 0) return "an empty revision after '@'";
        if (rev_len > FC_HUB_REVISION_MAX) return "a revision longer than 255 characters";
        // A revision becomes a file under refs/: no climbing out of it, no control characters.
        if (strstr(rev, "..") || rev[0] == '/' || rev[rev_len - 1] == '/')
            return "a revision with \"..\" or a leading or trailing '/'";
        for (size_t i = 0; i < rev_len; i++)
            if ((unsigned char)rev[i] <= ' ' || rev[i] == '\\' || rev[i] == '@')
                return "a revision with a space, control character, '\\' or '@'";
    }
    return NULL;
}

int fc_hub_id_looks_like(const char *text) {
    size_t repo_len;
    return text && id_problem(text, &repo_len) == NULL;
}

int fc_hub_id_parse(const char *text, fc_hub_id *id, fc_error *err) {
    size_t repo_len;
    const char *problem = id_problem(text, &repo_len);
    if (problem) return fc_fail(err, "'%s' is not a hub model id: %s", text, problem);
    memcpy(id->repo, text, repo_len);
    id->repo[repo_len] = '\0';
    snprintf(id->revision, sizeof id->revision, "%s", text[repo_len] == '@' ? text + repo_len + 1 : "main");
    return 0;
}

int fc_hub_is_commit_sha(const char *revision) {
    size_t n = 0;
    for (; revision[n]; n++)
        if (!isxdigit((unsigned char)revision[n]) || isupper((unsigned char)revision[n])) return 0;
    return n == 40;
}

void fc_hub_repo_folder_name(const char *repo, char *out, size_t size) {
    const char *slash = strchr(repo, '/');
    if (!slash) {
        snprintf(out, size, "models--%s", repo);
        return;
    }
    snprintf(out, size, "models--%.*s--%s", (int)(slash - repo), repo, slash + 1);
}
