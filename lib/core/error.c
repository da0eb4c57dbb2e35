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

static const struct status_row rows[] = {
    {QPM_OK, "QPM_OK", "success"},
    {QPM_E_NULL, "QPM_E_NULL", "required pointer argument is NULL"},
    {QPM_E_INVALID, "QPM_E_INVALID", "invalid argument"},
    {QPM_E_NONFINITE, "QPM_E_NONFINITE", "input value is NaN or infinite"},
    {QPM_E_SIZE, "QPM_E_SIZE", "invalid count or dimension"},
    {QPM_E_KEY, "QPM_E_KEY", "unknown setting key"},
    {QPM_E_RANGE, "QPM_E_RANGE", "setting value out of bounds"},
    {QPM_E_UNSUPPORTED, "QPM_E_UNSUPPORTED", "operation not supported"},
    {QPM_E_STATE, "QPM_E_STATE", "handle not in a state that allows the call"},
    {QPM_E_NOMEM, "QPM_E_NOMEM", "out of memory"},
    {QPM_E_THREAD, "QPM_E_THREAD", "could not start a worker thread"},
    {QPM_E_CANCELLED, "QPM_E_CANCELLED", "cancelled by the progress callback"},
    {QPM_E_NOCONVERGE, "QPM_E_NOCONVERGE", "iteration did not converge"},
    {QPM_E_SINGULAR, "QPM_E_SINGULAR", "matrix is singular"},
    {QPM_E_NOTPSD, "QPM_E_NOTPSD", "matrix is not positive semi-definite"},
    {QPM_E_ARBITRAGE, "QPM_E_ARBITRAGE", "price outside its no-arbitrage bounds"},
    {QPM_E_INFEASIBLE, "QPM_E_INFEASIBLE", "constraints admit no solution"},
    {QPM_E_OVERFLOW, "QPM_E_OVERFLOW", "a result is beyond the range of double"},
};

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
