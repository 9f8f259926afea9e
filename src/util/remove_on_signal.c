#include "util/remove_on_signal.h"

#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static char registered[4096];
static struct sigaction previous_int, previous_term;
static volatile sig_atomic_t installed;

// Only async-signal-safe calls here (signal-safety(7)): fork, execve, waitpid, sigaction,
// raise. A recursive removal by hand would need opendir, which allocates.
static void on_signal(int sig) {
    if (registered[0]) {
        pid_t child = fork();
        if (child == 0) {
            char *const argv[] = {"rm", "-rf", "--", registered, NULL};
            char *const envp[] = {NULL};
            execve("/bin/rm", argv, envp);
            _exit(127);
        }
        if (child > 0) {
            int status;
            while (waitpid(child, &status, 0) < 0) {
            }
        }
    }
    struct sigaction fallback;
    memset(&fallback, 0, sizeof fallback);
    fallback.sa_handler = SIG_DFL;
    sigemptyset(&fallback.sa_mask);
    sigaction(sig, &fallback, NULL);
    raise(sig);
}

int fc_remove_on_signal(const char *path) {
    size_t length = strlen(path);
    if (length == 0 || length >= sizeof registered) return -1;
    memcpy(registered, path, length + 1);
    if (!installed) {
        struct sigaction action;
        memset(&action, 0, sizeof action);
        action.sa_handler = on_signal;
        sigemptyset(&action.sa_mask);
        // While one signal is handled the other waits, so the removal runs once.
        sigaddset(&action.sa_mask, SIGINT);
        sigaddset(&action.sa_mask, SIGTERM);
        sigaction(SIGINT, &action, &previous_int);
        sigaction(SIGTERM, &action, &previous_term);
        installed = 1;
    }
    return 0;
}

void fc_remove_on_signal_clear(void) {
    if (installed) {
        sigaction(SIGINT, &previous_int, NULL);
        sigaction(SIGTERM, &previous_term, NULL);
        installed = 0;
    }
    registered[0] = '\0';
}
