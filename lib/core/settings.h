/* The settings engine behind every handle's _set, _get and _bounds (and
 * _describe): one descriptor table per handle says, for each key, its name,
 * type, bounds, default, whether it is read-only, where its value lives in
 * the handle and what else must happen when it changes.  The generic code
 * below does the validation, the error messages, the store and the read, so
 * a handle keeps only its side effects.  Not installed. */
#ifndef QPM_CORE_SETTINGS_H
#define QPM_CORE_SETTINGS_H

#include <stddef.h>

#include "core/internal.h"

/* What a setting holds.  The public qpm_setting_type numbers them alike. */
typedef enum qpm__set_type {
    QPM__SET_INTEGER = 0, /* a whole number in [lo, hi] */
    QPM__SET_REAL = 1,    /* any double in [lo, hi] (NaN never) */
    QPM__SET_ENUM = 2,    /* one of the whole numbers lo..hi, named by `labels` */
    QPM__SET_BOOL = 3     /* 0 or 1 */
} qpm__set_type;

/* How the value is stored in the handle at `offset`. */
typedef enum qpm__set_store {
    QPM__STORE_NONE = 0, /* nowhere: a read-only constant, reads give `def` */
    QPM__STORE_INT,
    QPM__STORE_UNSIGNED,
    QPM__STORE_SIZE,
    QPM__STORE_DOUBLE
} qpm__set_store;

/* A side effect of a change, run after the value passed every check and
 * before it is stored.  It may refuse (its status is returned and nothing
 * changes) and may replace *value by what is to be stored (an "auto"
 * kernel by the kernel chosen). */
typedef qpm_status (*qpm__set_hook)(void *handle, double *value);

typedef struct qpm__setting {
    int key;
    const char *name;           /* as in the header: "QPM_COV_LAMBDA" */
    qpm__set_type type;
    int read_only;
    double lo, hi, def;         /* inclusive bounds as _bounds reports them */
    const char *range;          /* the bounds in messages when they stand for
                                   an open interval ("(0, 1)"); NULL: [lo, hi] */
    const char *const *labels;  /* ENUM: names of lo..hi; NULL otherwise */
    qpm__set_store store;
    size_t offset;              /* of the value in the handle struct */
    qpm__set_hook hook;         /* NULL: storing is all */
} qpm__setting;

typedef struct qpm__settings {
    const char *key_type;       /* "qpm_cov_key", for messages */
    const qpm__setting *rows;
    size_t n;
} qpm__settings;

#define QPM__SETTINGS(key_type, rows) {(key_type), (rows), sizeof(rows) / sizeof((rows)[0])}

/* The row of `key`, or NULL. */
const qpm__setting *qpm__settings_find(const qpm__settings *t, int key);

/* The row of `key`, or NULL with QPM_E_KEY recorded ("key = 99: not a
 * qpm_risk_key"). */
const qpm__setting *qpm__settings_row(const qpm__settings *t, int key);

qpm_status qpm__settings_bounds(const qpm__settings *t, int key, double *lo, double *hi);

/* Validates (QPM_E_KEY for unknown and read-only keys, QPM_E_RANGE naming
 * the setting and its bounds or values), runs the hook, stores.  `handle`
 * must not be NULL (the caller names it in its own QPM_E_NULL message). */
qpm_status qpm__settings_set(const qpm__settings *t, void *handle, int key, double value);

qpm_status qpm__settings_get(const qpm__settings *t, const void *handle, int key,
                             double *value);

/* Stores every default (no hooks run): what _create starts from. */
void qpm__settings_defaults(const qpm__settings *t, void *handle);

/* The experimental qpm_<x>_describe functions: fills *info for `key`. */
struct qpm_setting_info;
qpm_status qpm__settings_describe(const qpm__settings *t, int key, struct qpm_setting_info *info);

/* Defines the public qpm_<x>_bounds, _set, _get and _describe of the handle
 * type qpm_<x> over its table `tbl`; `arg` names the handle argument in
 * QPM_E_NULL messages ("p is NULL"). */
#define QPM__SETTINGS_API(x, key_t, tbl, arg)                                                    \
    qpm_status qpm_##x##_bounds(key_t key, double *lo, double *hi)                               \
    {                                                                                            \
        return qpm__settings_bounds(&(tbl), (int)key, lo, hi);                                   \
    }                                                                                            \
    qpm_status qpm_##x##_set(qpm_##x *h, key_t key, double value)                                \
    {                                                                                            \
        QPM__CHECK_NULL(h, arg);                                                                 \
        return qpm__settings_set(&(tbl), h, (int)key, value);                                    \
    }                                                                                            \
    qpm_status qpm_##x##_get(const qpm_##x *h, key_t key, double *value)                         \
    {                                                                                            \
        QPM__CHECK_NULL(h, arg);                                                                 \
        return qpm__settings_get(&(tbl), h, (int)key, value);                                    \
    }                                                                                            \
    qpm_status qpm_##x##_describe(key_t key, qpm_setting_info *info)                             \
    {                                                                                            \
        return qpm__settings_describe(&(tbl), (int)key, info);                                   \
    }

/* ---- the threads setting, shared by every handle that has one --------------
 * Starts a pool of `value` threads (none for 1) in place of *pool, keeping
 * the old one on failure (QPM_E_THREAD, QPM_E_NOMEM).  A value equal to
 * `current` changes nothing. */
qpm_status qpm__settings_threads(qpm__pool **pool, const qpm_alloc *a, unsigned current,
                                 double value);

#endif /* QPM_CORE_SETTINGS_H */
