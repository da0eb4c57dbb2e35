/* Runtime version queries. */
#include "internal.h"

#define QPM__STR2(x) #x
#define QPM__STR(x) QPM__STR2(x)

unsigned qpm_version_number(void) { return QPM_VERSION_NUMBER; }

const char *qpm_version_string(void)
{
    return QPM__STR(QPM_VERSION_MAJOR) "." QPM__STR(QPM_VERSION_MINOR) "." QPM__STR(
        QPM_VERSION_PATCH);
}

unsigned qpm_max_threads(void) { return QPM__MAX_THREADS; }
