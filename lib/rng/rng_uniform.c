/* Raw outputs and uniform doubles.  Each fill is specialised per generator
 * kind so that the inner loop keeps the state in registers. */
#include "rng/rng_internal.h"

#define CHECK_FILL(rng, n, out)                                                                    \
    do {                                                                                           \
        QPM__CHECK_NULL(rng, "rng");                                                               \
        if ((n) != 0)                                                                              \
            QPM__CHECK_NULL(out, "out");                                                           \
    } while (0)

qpm_status qpm_rng_raw(qpm_rng *rng, size_t n, uint64_t *out)
{
    CHECK_FILL(rng, n, out);
    qpm__gen w = qpm__gen_load(&rng->g);
    switch (w.kind) {
    case QPM_RNG_PCG64:
        for (size_t i = 0; i < n; i++)
            out[i] = qpm__step_pcg64(&w.s, w.inc);
        break;
    case QPM_RNG_PCG32:
        for (size_t i = 0; i < n; i++)
            out[i] = qpm__step_pcg32(&w.s, w.inc);
        break;
    default:
        for (size_t i = 0; i < n; i++)
            out[i] = qpm__step_dxsm(&w.s, w.inc);
        break;
    }
    qpm__gen_store(&rng->g, &w);
    return QPM_OK;
}

/* The kind is a compile-time constant in each call of these inlined loops. */
static inline void fill_u01(qpm__gen *w, int kind, size_t n, double *out)
{
    w->kind = kind;
    for (size_t i = 0; i < n; i++)
        out[i] = qpm__u01(w);
}

static inline void fill_u01_open(qpm__gen *w, int kind, size_t n, double *out)
{
    w->kind = kind;
    for (size_t i = 0; i < n; i++)
        out[i] = qpm__u01_open(w);
}

qpm_status qpm_rng_uniform(qpm_rng *rng, size_t n, double *out)
{
    CHECK_FILL(rng, n, out);
    qpm__gen w = qpm__gen_load(&rng->g);
    switch (w.kind) {
    case QPM_RNG_PCG64:
        fill_u01(&w, QPM_RNG_PCG64, n, out);
        break;
    case QPM_RNG_PCG32:
        fill_u01(&w, QPM_RNG_PCG32, n, out);
        break;
    default:
        fill_u01(&w, QPM_RNG_PCG64DXSM, n, out);
        break;
    }
    qpm__gen_store(&rng->g, &w);
    return QPM_OK;
}

qpm_status qpm_rng_uniform_open(qpm_rng *rng, size_t n, double *out)
{
    CHECK_FILL(rng, n, out);
    qpm__gen w = qpm__gen_load(&rng->g);
    switch (w.kind) {
    case QPM_RNG_PCG64:
        fill_u01_open(&w, QPM_RNG_PCG64, n, out);
        break;
    case QPM_RNG_PCG32:
        fill_u01_open(&w, QPM_RNG_PCG32, n, out);
        break;
    default:
        fill_u01_open(&w, QPM_RNG_PCG64DXSM, n, out);
        break;
    }
    qpm__gen_store(&rng->g, &w);
    return QPM_OK;
}
