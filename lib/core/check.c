/* Argument validation with messages that name the first offending element. */
#include <math.h>

#include "internal.h"

qpm_status qpm__check_finite(const double *x, size_t n, const char *name)
{
    QPM__CHECK_NULL(x, name);
    for (size_t i = 0; i < n; i++)
        if (!isfinite(x[i]))
            return qpm__fail(QPM_E_NONFINITE, "%s[%zu] = %g: must be finite", name, i, x[i]);
    return QPM_OK;
}

qpm_status qpm__check_positive(const double *x, size_t n, const char *name)
{
    QPM__CHECK_NULL(x, name);
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(x[i]))
            return qpm__fail(QPM_E_NONFINITE, "%s[%zu] = %g: must be finite", name, i, x[i]);
        if (!(x[i] > 0.0))
            return qpm__fail(QPM_E_INVALID, "%s[%zu] = %.17g: must be > 0", name, i, x[i]);
    }
    return QPM_OK;
}

qpm_status qpm__check_nonnegative(const double *x, size_t n, const char *name)
{
    QPM__CHECK_NULL(x, name);
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(x[i]))
            return qpm__fail(QPM_E_NONFINITE, "%s[%zu] = %g: must be finite", name, i, x[i]);
        if (x[i] < 0.0)
            return qpm__fail(QPM_E_INVALID, "%s[%zu] = %.17g: must be >= 0", name, i, x[i]);
    }
    return QPM_OK;
}
