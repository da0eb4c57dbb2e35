/* Argument validation with messages that name the first offending element. */
#include <math.h>
#include <string.h>

#include "internal.h"

enum { ANY, POSITIVE, NONNEGATIVE };

static qpm_status check_each(const double *x, size_t n, const char *name, int domain)
{
    QPM__CHECK_NULL(x, name);
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(x[i]))
            return qpm__fail(QPM_E_NONFINITE, "%s[%zu] = %g: must be finite", name, i, x[i]);
        if (domain == POSITIVE && !(x[i] > 0.0))
            return qpm__fail(QPM_E_INVALID, "%s[%zu] = %.17g: must be > 0", name, i, x[i]);
        if (domain == NONNEGATIVE && x[i] < 0.0)
            return qpm__fail(QPM_E_INVALID, "%s[%zu] = %.17g: must be >= 0", name, i, x[i]);
    }
    return QPM_OK;
}

qpm_status qpm__check_finite(const double *x, size_t n, const char *name)
{
    return check_each(x, n, name, ANY);
}

qpm_status qpm__check_positive(const double *x, size_t n, const char *name)
{
    return check_each(x, n, name, POSITIVE);
}

qpm_status qpm__check_nonnegative(const double *x, size_t n, const char *name)
{
    return check_each(x, n, name, NONNEGATIVE);
}

qpm_status qpm__check_finite_matrix(const double *a, size_t rows, size_t cols, size_t ld,
                                    const char *name)
{
    QPM__CHECK_NULL(a, name);
    for (size_t i = 0; i < rows; i++)
        for (size_t j = 0; j < cols; j++)
            if (!isfinite(a[i * ld + j]))
                return qpm__fail(QPM_E_NONFINITE, "%s[%zu][%zu] = %g: must be finite", name, i, j,
                                 a[i * ld + j]);
    return QPM_OK;
}

qpm_status qpm__check_covariance_code(const double *a, size_t n, size_t ld, const char *name,
                                      qpm_status negative_variance)
{
    qpm_status st = qpm__check_finite_matrix(a, n, n, ld, name);
    if (st != QPM_OK)
        return st;
    for (size_t i = 0; i < n; i++)
        if (a[i * ld + i] < 0.0)
            return qpm__fail(negative_variance, "%s[%zu][%zu] = %.17g: a variance must be >= 0",
                             name, i, i, a[i * ld + i]);
    /* relative to the larger variance of the pair (the tolerance opt.h
     * documents): the geometric mean would demand exact symmetry of the row
     * of a zero variance */
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < i; j++) {
            double x = a[i * ld + j], y = a[j * ld + i];
            if (!(fabs(x - y) <= 1e-12 * fmax(a[i * ld + i], a[j * ld + j])))
                return qpm__fail(QPM_E_INVALID,
                                 "%s[%zu][%zu] = %.17g differs from %s[%zu][%zu] = %.17g: "
                                 "must be symmetric",
                                 name, i, j, x, name, j, i, y);
        }
    return QPM_OK;
}

qpm_status qpm__check_covariance(const double *a, size_t n, size_t ld, const char *name)
{
    return qpm__check_covariance_code(a, n, ld, name, QPM_E_INVALID);
}

qpm_status qpm__read_struct(const void *p, size_t caller, size_t mine, void *q, const char *arg,
                            const char *type, const char *fields)
{
    const size_t first = sizeof(size_t);
    if (caller < first + 8 || (caller - first) % 8 != 0)
        return qpm__fail(QPM_E_INVALID, "%s->size = %zu: must be sizeof(%s) = %zu", arg, caller,
                         type, mine);
    if (caller > mine) {
        /* A newer caller: fields this version does not know must be zero,
         * or the call would go on without what they say. */
        const unsigned char *bytes = (const unsigned char *)p;
        for (size_t i = mine; i < caller; i++)
            if (bytes[i] != 0)
                return qpm__fail(QPM_E_UNSUPPORTED,
                                 "%s->size = %zu: %s past byte %zu are not provided by this "
                                 "library version",
                                 arg, caller, fields, mine);
    }
    memset(q, 0, mine);
    memcpy(q, p, caller < mine ? caller : mine);
    return QPM_OK;
}
