/* Status names and the thread-local last-error message. */
#include <stdarg.h>
#include <stdio.h>

#include "internal.h"

#define QPM__ERRLEN 512

/* Thread-local, so that several threads using distinct handles (or the same
 * const data) each see their own last failure. */
static _Thread_local char tls_msg[QPM__ERRLEN];
static _Thread_local qpm_status tls_status;

qpm_status qpm__fail(qpm_status status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int len = vsnprintf(tls_msg, sizeof tls_msg, fmt, ap);
    va_end(ap);
    if (len < 0)
        tls_msg[0] = '\0';
    tls_status = status;
    return status;
}

const char *qpm_last_error(void) { return tls_msg; }

qpm_status qpm_last_status(void) { return tls_status; }

void qpm_clear_error(void)
{
    tls_msg[0] = '\0';
    tls_status = QPM_OK;
}

struct status_row {
    qpm_status code;
    const char *name;
    const char *text;
};

/* From the header's one list, so that a new code cannot miss its name. */
#define ROW(name, value, text) {name, #name, text},
static const struct status_row rows[] = {QPM_STATUS_MAP(ROW)};
#undef ROW

static const struct status_row *find(qpm_status s)
{
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        if (rows[i].code == s)
            return &rows[i];
    return NULL;
}

const char *qpm_status_str(qpm_status status)
{
    const struct status_row *r = find(status);
    return r ? r->text : "unknown status";
}

const char *qpm_status_name(qpm_status status)
{
    const struct status_row *r = find(status);
    return r ? r->name : "QPM_E_UNKNOWN";
}
