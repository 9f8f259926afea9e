#include "curate/screener.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "util/progress.h"
#include "util/error.h"

int fc_run_screener(const char *command, const char *input_path, const char *output_path,
                    unsigned timeout_s, fc_error *err) {
    int in = open(input_path, O_RDONLY | O_CLOEXEC);
    if (in < 0) return fc_fail(err, "%s: cannot open: %s", input_path, strerror(errno));
    int out = open(output_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (out < 0) {
        close(in);
        return fc_fail(err, "%s: cannot write: %s", output_path, strerror(errno));
    }
    fflush(NULL); // nothing buffered here may be written twice by the child
    pid_t pid = fork();
    if (pid < 0) {
        close(in);
        close(out);
        return fc_fail(err, "cannot start the screener: %s", strerror(errno));
    }
    if (pid == 0) {
        // Its own process group, so that a timeout ends the shell and whatever it started.
        setpgid(0, 0);
        signal(SIGPIPE, SIG_DFL);
        if (dup2(in, STDIN_FILENO) < 0 || dup2(out, STDOUT_FILENO) < 0) _exit(126);
        execl("/bin/sh", "sh", "-c", command, (char *)NULL);
        _exit(127);
    }
    close(in);
    close(out);
    setpgid(pid, pid); // also here: whichever runs first, the group exists before a kill

    double deadline = timeout_s ? fc_progress_now() + timeout_s : 0;
    int status = 0;
    for (;;) {
        pid_t got = waitpid(pid, &status, timeout_s ? WNOHANG : 0);
        if (got == pid) break;
        if (got < 0 && errno != EINTR) return fc_fail(err, "waiting for the screener: %s",
                                                      strerror(errno));
        if (timeout_s && fc_progress_now() > deadline) {
            kill(-pid, SIGKILL);
            waitpid(pid, &status, 0);
            return fc_fail(err, "the screener did not finish within %u s and was stopped "
                                "(command: %s)", timeout_s, command);
        }
        if (timeout_s) {
            struct timespec pause = {0, 20 * 1000 * 1000};
            nanosleep(&pause, NULL);
        }
    }
    if (WIFSIGNALED(status))
        return fc_fail(err, "the screener was killed by signal %d (command: %s)",
                       WTERMSIG(status), command);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
        return fc_fail(err, "the screener could not run: exit status 127, command not found? "
                            "(command: %s)", command);
    if (WIFEXITED(status) && WEXITSTATUS(status) > 128) // sh's way of saying "a signal"
        return fc_fail(err, "the screener failed with exit status %d (killed by signal %d?) "
                            "(command: %s)", WEXITSTATUS(status), WEXITSTATUS(status) - 128,
                       command);
    if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
        return fc_fail(err, "the screener failed with exit status %d (command: %s)",
                       WEXITSTATUS(status), command);
    return 0;
}
