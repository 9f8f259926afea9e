// Giving memory back to the system while the allocation stays: the pages that lie wholly
// inside [data, data + bytes) are dropped (madvise MADV_DONTNEED). Private mappings then read
// as zeros, file mappings as the file again. Used for fp32 tensors that a load has converted
// into another storage and will not read again.
#ifndef FC_UTIL_PAGES_H
#define FC_UTIL_PAGES_H

#include <stddef.h>

void fc_release_pages(const void *data, size_t bytes);

#endif
