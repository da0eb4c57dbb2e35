/* Standard normal variates by inversion of the normal CDF. */
#include "rng/rng_internal.h"

static inline void fill_normal(qpm__gen *w, int kind, size_t n, double *out)
{
    w->kind = kind;
    for (size_t i = 0; i < n; i++)
        out[i] = qpm__norm_inv(qpm__u01_open(w));
}

qpm_status qpm_rng_normal(qpm_rng *rng, size_t n, double *out)
{
    QPM__RNG_FILL(rng, n, out, fill_normal);
}

static inline void fill_normal_as241(qpm__gen *w, int kind, size_t n, double *out)
{
    w->kind = kind;
    for (size_t i = 0; i < n; i++)
        out[i] = qpm__norm_inv_as241(qpm__u01_open(w));
}

qpm_status qpm__rng_normal_as241(qpm_rng *rng, size_t n, double *out)
{
    QPM__RNG_FILL(rng, n, out, fill_normal_as241);
}
