// Peak resident memory of this process, per model: the kernel keeps one high-water mark for the
// whole process, which Linux lets a process reset (/proc/self/clear_refs, "5"). Resetting it
// before each model loads makes the peak that model's own, not the largest model's so far.
#ifndef FC_EVAL_PEAK_MEMORY_H
#define FC_EVAL_PEAK_MEMORY_H

#include <stdint.h>

// Resets the high-water mark to the current resident size. 0 on success; -1 where the system
// does not allow it (then the peak covers the whole process so far).
int fc_peak_rss_reset(void);

// The high-water mark of resident memory in bytes (VmHWM), since the start or the
// last reset.
uint64_t fc_peak_rss_bytes(void);

#endif
