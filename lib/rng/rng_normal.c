/* Standard normal variates by inversion of the normal CDF. */
#include "rng/rng_internal.h"

/* The uniforms of a pass, then their block inversion (the bits of
 * qpm__norm_inv, four values at a time). */
enum { NORMAL_PASS = 256 };
static inline void fill_normal(qpm__gen *w, int kind, size_t n, double *out)
{
    w->kind = kind;
    for (size_t i = 0; i < n; i += NORMAL_PASS) {
        size_t m = n - i < NORMAL_PASS ? n - i : NORMAL_PASS;
        for (size_t j = 0; j < m; j++)
            out[i + j] = qpm__u01_open(w);
        qpm__norm_inv_block(m, out + i, 1);
    }
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
