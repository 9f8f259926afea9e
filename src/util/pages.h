// Giving memory back to the system while the allocation stays: the pages that lie wholly
// inside [data, data + bytes) are dropped (madvise MADV_DONTNEED). Private mappings then read
// as zeros, file mappings as the file again. Used for fp32 tensors that a load has converted
// into another storage and will not read again.
#ifndef FC_UTIL_PAGES_H
#define FC_UTIL_PAGES_H

#include <stddef.h>

void fc_release_pages(const void *data, size_t bytes);

// Page-aligned memory straight from the system (an anonymous mapping), for large blocks that
// live as long as a model: kept out of malloc's heap, they leave no hole there when the
// temporaries of a load around them are freed (issue 15: 50-65 MB of ModernBERT-large's
// low-precision peak was such holes). NULL when out of memory; fc_pages_free takes the size
// that was asked for.
void *fc_pages_alloc(size_t bytes);
void fc_pages_free(void *data, size_t bytes);

#endif
