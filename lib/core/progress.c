/* Progress reporting to a caller-supplied callback. */
#include "internal.h"

qpm_status qpm__progress_report(const qpm__progress *p, double done)
{
    if (p == NULL || p->fn == NULL)
        return QPM_OK;
    if (done < 0.0)
        done = 0.0;
    if (done > 1.0)
        done = 1.0;
    if (p->fn(p->user, done) != 0)
        return qpm__fail(QPM_E_CANCELLED, "cancelled by the progress callback at %.1f%% done",
                         100.0 * done);
    return QPM_OK;
}

qpm_status qpm__progress_set(qpm__progress *p, qpm_progress_fn fn, void *user)
{
    p->fn = fn;
    p->user = user;
    return QPM_OK;
}
