/* Raw outputs and uniform doubles.  Each fill is specialised per generator
 * kind (QPM__RNG_FILL) so that the inner loop keeps the state in registers. */
#include "rng/rng_internal.h"

/* The kind is a compile-time constant in each call of these inlined loops. */
static inline void fill_raw(qpm__gen *w, int kind, size_t n, uint64_t *out)
{
    w->kind = kind;
    for (size_t i = 0; i < n; i++) {
        switch (kind) {
        case QPM_RNG_PCG64:
            out[i] = qpm__step_pcg64(&w->s, w->inc);
            break;
        case QPM_RNG_PCG32:
            out[i] = qpm__step_pcg32(&w->s, w->inc);
            break;
        case QPM_RNG_PCG64DXSM:
            out[i] = qpm__step_dxsm(&w->s, w->inc);
            break;
        }
    }
}

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

qpm_status qpm_rng_raw(qpm_rng *rng, size_t n, uint64_t *out)
{
    QPM__RNG_FILL(rng, n, out, fill_raw);
}

qpm_status qpm_rng_uniform(qpm_rng *rng, size_t n, double *out)
{
    QPM__RNG_FILL(rng, n, out, fill_u01);
}

qpm_status qpm_rng_uniform_open(qpm_rng *rng, size_t n, double *out)
{
    QPM__RNG_FILL(rng, n, out, fill_u01_open);
}
