// A temporary folder that must not outlive the process: `finecat bench --config` writes a
// random checkpoint (1.5 GB for ModernBERT-large) to /tmp, and a run stopped with Ctrl-C or
// SIGTERM used to leave it there. While a path is registered, SIGINT and SIGTERM remove it and
// then end the process by the same signal, as if no handler had been installed.
#ifndef FC_UTIL_REMOVE_ON_SIGNAL_H
#define FC_UTIL_REMOVE_ON_SIGNAL_H

// Registers path (copied; at most 4095 bytes) and installs the handlers. Returns 0, or -1 when
// the path is too long (nothing is installed).
int fc_remove_on_signal(const char *path);
// Forgets the path and restores the handlers that were there before.
void fc_remove_on_signal_clear(void);

#endif
