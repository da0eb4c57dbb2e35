/* qpm_dump, family "core": status names and texts, the thread-local error,
 * limits, and how every handle's create reports a bad or failing
 * allocator. */
#include <limits.h>
#include <stdlib.h>

#include "dump.h"

static void *fail_alloc(void *ctx, size_t n)
{
    (void)ctx;
    (void)n;
    return NULL;
}

static void *plain_alloc(void *ctx, size_t n)
{
    (void)ctx;
    return malloc(n);
}

static void plain_free(void *ctx, void *p)
{
    (void)ctx;
    free(p);
}

/* alloc variants: 0 size too small, 1 NULL alloc_fn, 2 always NULL */
static void allocators(qpm_alloc a[3])
{
    a[0] = (qpm_alloc){.size = 1, .alloc_fn = plain_alloc, .free_fn = plain_free};
    a[1] = (qpm_alloc){.size = sizeof(qpm_alloc), .alloc_fn = NULL, .free_fn = plain_free};
    a[2] = (qpm_alloc){.size = sizeof(qpm_alloc), .alloc_fn = fail_alloc, .free_fn = plain_free};
}

void dump_core(void)
{
    char nm[DUMP_NAME];
    static const long long extra[] = {1000, INT_MAX, INT_MIN};
    for (long long code = -2; code <= 300 + 3; code++) {
        long long c = code <= 300 ? code : extra[code - 301];
        dump_name(nm, "core.status.%lld", c);
        dump_text(nm, "name", qpm_status_name((qpm_status)c));
        dump_text(nm, "str", qpm_status_str((qpm_status)c));
    }
    dump_u64k("core.limits", "max_threads", qpm_max_threads());

    qpm_clear_error();
    dump_text("core.error.cleared", "message", qpm_last_error());
    dump_i64k("core.error.cleared", "last_status", (long long)qpm_last_status());
    qpm_status st = qpm_rng_create(NULL, NULL, QPM_RNG_PCG64, 0, 0, 0, 0);
    dump_status("core.error.set", st);
    dump_i64k("core.error.set", "last_status", (long long)qpm_last_status());
    qpm_clear_error();
    dump_text("core.error.cleared_again", "message", qpm_last_error());

    qpm_alloc a[3];
    allocators(a);
    static const char *an[3] = {"size_small", "null_fn", "failing"};
    for (int k = 0; k < 3; k++) {
        qpm_rng *rng = (qpm_rng *)&a[k]; /* must come back NULL */
        dump_status(dump_name(nm, "core.alloc.%s.rng", an[k]),
                    qpm_rng_create(&rng, &a[k], QPM_RNG_PCG64DXSM, 1, 2, 3, 4));
        dump_i64k(nm, "out_null", rng == NULL);
        qpm_rng_free(rng == (qpm_rng *)&a[k] ? NULL : rng);
        qpm_pricer *p = (qpm_pricer *)&a[k];
        dump_status(dump_name(nm, "core.alloc.%s.pricer", an[k]),
                    qpm_pricer_create(&p, &a[k], QPM_MODEL_BSM, QPM_SETTLE_LINEAR));
        dump_i64k(nm, "out_null", p == NULL);
        qpm_pricer_free(p == (qpm_pricer *)&a[k] ? NULL : p);
        qpm_cov *c = (qpm_cov *)&a[k];
        dump_status(dump_name(nm, "core.alloc.%s.cov", an[k]), qpm_cov_create(&c, &a[k], 3));
        dump_i64k(nm, "out_null", c == NULL);
        qpm_cov_free(c == (qpm_cov *)&a[k] ? NULL : c);
        qpm_book *b = (qpm_book *)&a[k];
        dump_status(dump_name(nm, "core.alloc.%s.book", an[k]), qpm_book_create(&b, &a[k]));
        dump_i64k(nm, "out_null", b == NULL);
        qpm_book_free(b == (qpm_book *)&a[k] ? NULL : b);
        qpm_opt *o = (qpm_opt *)&a[k];
        dump_status(dump_name(nm, "core.alloc.%s.opt", an[k]), qpm_opt_create(&o, &a[k], 3));
        dump_i64k(nm, "out_null", o == NULL);
        qpm_opt_free(o == (qpm_opt *)&a[k] ? NULL : o);
        qpm_risk *r = (qpm_risk *)&a[k];
        dump_status(dump_name(nm, "core.alloc.%s.risk", an[k]), qpm_risk_create(&r, &a[k]));
        dump_i64k(nm, "out_null", r == NULL);
        qpm_risk_free(r == (qpm_risk *)&a[k] ? NULL : r);
    }
}
