/* libqpm version.  MAJOR changes only with an incompatible ABI change; the
 * shared library's SONAME is libqpm.so.MAJOR. */
#ifndef QPM_VERSION_H
#define QPM_VERSION_H

#define QPM_VERSION_MAJOR 0
#define QPM_VERSION_MINOR 2
#define QPM_VERSION_PATCH 0

/* MAJOR * 10000 + MINOR * 100 + PATCH, comparable with qpm_version_number(). */
#define QPM_VERSION_NUMBER (QPM_VERSION_MAJOR * 10000 + QPM_VERSION_MINOR * 100 + QPM_VERSION_PATCH)

#endif /* QPM_VERSION_H */
