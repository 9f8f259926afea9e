// fc_version: the version of the library as compiled, so that a program can tell which
// libfinecat.so it runs with (the header's FC_VERSION_STRING is only the one it was built with).
#include "finecat.h"

const char *fc_version(void) {
    return FC_VERSION_STRING;
}
