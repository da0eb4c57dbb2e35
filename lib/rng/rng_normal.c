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
    QPM__CHECK_NULL(rng, "rng");
    if (n != 0)
        QPM__CHECK_NULL(out, "out");
    qpm__gen w = qpm__gen_load(&rng->g);
    switch (w.kind) {
    case QPM_RNG_PCG64:
        fill_normal(&w, QPM_RNG_PCG64, n, out);
        break;
    case QPM_RNG_PCG32:
        fill_normal(&w, QPM_RNG_PCG32, n, out);
        break;
    default:
        fill_normal(&w, QPM_RNG_PCG64DXSM, n, out);
        break;
    }
    qpm__gen_store(&rng->g, &w);
    return QPM_OK;
}
