// Fallible growth of the token id lists of finecat.h (fc_ids), for the library's own paths
// whose lists grow with the input: tokenization above all (issue 14). The public fc_ids_push
// stays the checked kind (util/alloc.h): its signature has no room for an error.
#ifndef FC_UTIL_IDS_H
#define FC_UTIL_IDS_H

#include <stddef.h>
#include <stdint.h>

#include "finecat.h"

// Makes room for extra more ids. -1 with err saying "out of memory" when the memory is not
// there; the list is then unchanged.
int fc_ids_try_reserve(fc_ids *list, size_t extra, fc_error *err);

// Appends one id, or n ids; on failure -1 as fc_ids_try_reserve, with the list unchanged.
int fc_ids_try_push(fc_ids *list, int32_t id, fc_error *err);
int fc_ids_try_append(fc_ids *list, const int32_t *ids, size_t n, fc_error *err);

#endif
