/* The pricer's unchecked entry (internal, not installed): for the layers
 * above that validated their inputs once (the book's P&L loop) and for the
 * pricer's own facades after their checks.
 *
 * A run prices ng groups of ne options each, option (g, i) for g < ng and
 * i < ne, with the pricer's model, settlement and kernel.  Each input x is
 * read at x[g * gx + i * sx]: an element stride sx of 0 broadcasts, 1 is
 * contiguous and k > 1 strided; a group stride gx lets a group start
 * anywhere, so nopt options under ns scenarios need no repeated per-option
 * inputs (option-major: groups are options, gk = 1 and sk = 0;
 * scenario-major: groups are scenarios, gk = 0 and sk = 1).  Output o of
 * option (g, i) goes to out[o][g * gout + i] (NULL = not wanted).  Every
 * option is computed on its own, so the layout never changes a result:
 * bit-identical to qpm_pricer_price on the same values.
 *
 * Cost: the kernels read strides 0 and 1 only, and a kernel call has a
 * fixed cost (about 40 ns on AVX-512, more with deferred careful lanes).
 * Groups of at least 512 options with strides 0 and 1 go to the kernels in
 * place, one call per group; shorter groups and strided inputs go in flat
 * runs of up to 512 options, an input that is not contiguous over a run
 * being gathered into a stack tile (once per job when it is the same in
 * every group).  The fastest layout is therefore one long group.
 */
#ifndef QPM_PRICING_PRICER_RUN_H
#define QPM_PRICING_PRICER_RUN_H

#include <stddef.h>
#include <stdint.h>

#include "pricing/black.h"
#include "qpm/pricing.h"

typedef struct qpm__pjob {
    size_t ng, ne; /* groups, options per group (both >= 1) */
    /* r and q may be NULL (0 for every option); q only for BSM */
    const double *u, *k, *t, *r, *q, *sig;
    const int32_t *type;
    size_t su, sk, st, sr, sq, ssig, stype; /* element strides */
    size_t gu, gk, gt, gr, gq, gsig, gtype; /* group strides */
    size_t gout;                            /* group stride of the outputs */
    double *out[QPM__NOUT];
} qpm__pjob;

/* Prices the job without any check of its inputs: the caller guarantees
 * what qpm_pricer_price checks (finite inputs, underlying and strike > 0
 * except for Bachelier, T and sigma >= 0, |r T| and |q T| <= 700, types +-1)
 * and outputs that do not overlap the inputs.  Uses the pricer's threads
 * for a single large group, otherwise the calling thread; allocates
 * nothing; reads the pricer only, so several threads may run jobs on one
 * pricer at once.  Returns QPM_OK, or QPM_E_OVERFLOW when a wanted output is
 * beyond the range of double, with the message qpm_pricer_price gives
 * (naming option g * ne + i, the first such in group order); every output is
 * written either way. */
qpm_status qpm__pricer_run(const qpm_pricer *p, const qpm__pjob *job);

#endif /* QPM_PRICING_PRICER_RUN_H */
