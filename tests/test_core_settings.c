/* The settings engine seen through every handle: the describe functions of
 * the experimental tier agree with _bounds, _get on a new handle and _set;
 * the messages name the setting and its bounds or values; read-only and
 * unknown keys.  Built with QPM_EXPERIMENTAL, as a user of that tier. */
#define QPM_EXPERIMENTAL
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "qpm/qpm.h"
#include "support/testutil.h"

typedef qpm_status (*describe_fn)(int key, qpm_setting_info *info);
typedef qpm_status (*bounds_fn)(int key, double *lo, double *hi);
typedef qpm_status (*set_fn)(void *h, int key, double v);
typedef qpm_status (*get_fn)(const void *h, int key, double *v);

/* int-keyed adapters of each handle's functions */
#define ADAPT(x, handle_t, key_t)                                                                  \
    static qpm_status x##_desc(int k, qpm_setting_info *i)                                         \
    {                                                                                              \
        return qpm_##x##_describe((key_t)k, i);                                                    \
    }                                                                                              \
    static qpm_status x##_bnd(int k, double *lo, double *hi)                                       \
    {                                                                                              \
        return qpm_##x##_bounds((key_t)k, lo, hi);                                                 \
    }                                                                                              \
    static qpm_status x##_st(void *h, int k, double v)                                             \
    {                                                                                              \
        return qpm_##x##_set(h, (key_t)k, v);                                                      \
    }                                                                                              \
    static qpm_status x##_gt(const void *h, int k, double *v)                                      \
    {                                                                                              \
        return qpm_##x##_get(h, (key_t)k, v);                                                      \
    }
ADAPT(pricer, qpm_pricer, qpm_pricer_key)
ADAPT(book, qpm_book, qpm_book_key)
ADAPT(cov, qpm_cov, qpm_cov_key)
ADAPT(opt, qpm_opt, qpm_opt_key)
ADAPT(risk, qpm_risk, qpm_risk_key)

typedef struct handle_case {
    const char *key_type;
    int nkeys;
    describe_fn describe;
    bounds_fn bounds;
    set_fn set;
    get_fn get;
} handle_case;

static const handle_case cases[] = {
    {"qpm_pricer_key", 4, pricer_desc, pricer_bnd, pricer_st, pricer_gt},
    {"qpm_book_key", QPM_BOOK_DECAY_DAYS + 1, book_desc, book_bnd, book_st, book_gt},
    {"qpm_cov_key", QPM_COV_KERNEL + 1, cov_desc, cov_bnd, cov_st, cov_gt},
    {"qpm_opt_key", 10, opt_desc, opt_bnd, opt_st, opt_gt},
    {"qpm_risk_key", QPM_RISK_NORMALS + 1, risk_desc, risk_bnd, risk_st, risk_gt},
};

static void *new_handle(size_t c)
{
    void *h = NULL;
    qpm_status st = QPM_E_INVALID;
    switch (c) {
    case 0:
        st = qpm_pricer_create((qpm_pricer **)&h, NULL, QPM_MODEL_BLACK76, QPM_SETTLE_LINEAR);
        break;
    case 1:
        st = qpm_book_create((qpm_book **)&h, NULL);
        break;
    case 2:
        st = qpm_cov_create((qpm_cov **)&h, NULL, 3);
        break;
    case 3:
        st = qpm_opt_create((qpm_opt **)&h, NULL, 3);
        break;
    case 4:
        st = qpm_risk_create((qpm_risk **)&h, NULL);
        break;
    }
    cr_assert_eq(st, QPM_OK, "%s", qpm_last_error());
    return h;
}

static void free_handle(size_t c, void *h)
{
    switch (c) {
    case 0:
        qpm_pricer_free(h);
        break;
    case 1:
        qpm_book_free(h);
        break;
    case 2:
        qpm_cov_free(h);
        break;
    case 3:
        qpm_opt_free(h);
        break;
    case 4:
        qpm_risk_free(h);
        break;
    }
}

static qpm_setting_info describe(const handle_case *hc, int key)
{
    qpm_setting_info info;
    memset(&info, 0, sizeof info);
    info.size = sizeof info;
    cr_assert_eq(hc->describe(key, &info), QPM_OK, "%s %d: %s", hc->key_type, key,
                 qpm_last_error());
    return info;
}

Test(core_settings, describe_agrees_with_bounds_get_and_set)
{
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        const handle_case *hc = &cases[c];
        void *h = new_handle(c);
        for (int key = 0; key < hc->nkeys; key++) {
            qpm_setting_info info = describe(hc, key);
            double lo, hi, v;
            cr_assert_eq(hc->bounds(key, &lo, &hi), QPM_OK);
            cr_assert(info.lo == lo && info.hi == hi, "%s", info.name);
            cr_assert_eq(strncmp(info.name, "QPM_", 4), 0);
            cr_assert_eq(hc->get(h, key, &v), QPM_OK);
            /* "auto" kernels read back as the kernel they chose */
            if (strcmp(info.name, "QPM_PRICER_KERNEL") == 0)
                cr_assert(info.def == QPM_PRICER_KERNEL_AUTO && v >= QPM_PRICER_KERNEL_SCALAR);
            else if (strcmp(info.name, "QPM_COV_KERNEL") == 0)
                cr_assert(info.def == QPM_COV_KERNEL_AUTO && v >= QPM_COV_KERNEL_BLAS);
            else
                cr_assert_eq(v, info.def, "%s: default %g, a new handle reads %g", info.name,
                             info.def, v);
            if (info.read_only) {
                cr_assert(lo == hi && hi == info.def, "%s", info.name);
                cr_assert_eq(hc->set(h, key, info.def), QPM_E_KEY);
                char want[128];
                snprintf(want, sizeof want, "key = %s: read-only", info.name);
                cr_assert_str_eq(qpm_last_error(), want);
                continue;
            }
            cr_assert(lo <= info.def && info.def <= hi, "%s", info.name);
            cr_assert_eq(info.labels != NULL, info.type == QPM_SETTING_ENUM, "%s", info.name);
            if (info.type == QPM_SETTING_ENUM)
                for (double x = lo; x <= hi; x += 1.0)
                    cr_assert_eq(strncmp(info.labels[(size_t)(x - lo)], "QPM_", 4), 0);
            if (info.type == QPM_SETTING_BOOL)
                cr_assert(lo == 0 && hi == 1);
            /* setting the default is always accepted, and nothing else moves */
            cr_assert_eq(hc->set(h, key, info.def), QPM_OK, "%s: %s", info.name, qpm_last_error());
            if (info.type != QPM_SETTING_REAL && hi > lo) {
                cr_assert_eq(hc->set(h, key, lo + 0.5), QPM_E_RANGE, "%s", info.name);
                cr_assert_neq(strstr(qpm_last_error(), info.name), NULL);
            }
            cr_assert_eq(hc->set(h, key, (double)NAN), QPM_E_RANGE);
            cr_assert_eq(strncmp(qpm_last_error(), info.name, strlen(info.name)), 0, "%s",
                         qpm_last_error());
        }
        /* one past the last key */
        qpm_setting_info info = {.size = sizeof info};
        cr_assert_eq(hc->describe(hc->nkeys, &info), QPM_E_KEY);
        char want[128];
        snprintf(want, sizeof want, "key = %d: not a %s", hc->nkeys, hc->key_type);
        cr_assert_str_eq(qpm_last_error(), want);
        double lo, hi, v;
        cr_assert_eq(hc->bounds(-1, &lo, &hi), QPM_E_KEY);
        cr_assert_eq(hc->set(h, hc->nkeys, 0.0), QPM_E_KEY);
        cr_assert_eq(hc->get(h, 1000, &v), QPM_E_KEY);
        cr_assert_eq(hc->get(h, 0, NULL), QPM_E_NULL);
        free_handle(c, h);
    }
    cr_assert_eq(qt_leak_check(), 0);
}

Test(core_settings, describe_checks_its_struct)
{
    qpm_setting_info info;
    memset(&info, 0, sizeof info);
    cr_assert_eq(qpm_cov_describe(QPM_COV_LAMBDA, NULL), QPM_E_NULL);
    info.size = sizeof info - 1;
    cr_assert_eq(qpm_cov_describe(QPM_COV_LAMBDA, &info), QPM_E_INVALID);
    cr_assert_null(info.name);
    /* a newer caller's larger struct: its extra bytes are left alone */
    struct {
        qpm_setting_info info;
        double extra;
    } big;
    memset(&big, 0, sizeof big);
    big.info.size = sizeof big;
    big.extra = 42.0;
    cr_assert_eq(qpm_cov_describe(QPM_COV_LAMBDA, &big.info), QPM_OK);
    cr_assert_str_eq(big.info.name, "QPM_COV_LAMBDA");
    cr_assert_eq(big.info.type, QPM_SETTING_REAL);
    cr_assert_eq(big.info.def, 0.94);
    cr_assert_eq(big.info.size, sizeof big);
    cr_assert_eq(big.extra, 42.0);
}

Test(core_settings, messages_name_the_setting_and_its_bounds)
{
    qpm_pricer *p;
    cr_assert_eq(qpm_pricer_create(&p, NULL, QPM_MODEL_BSM, QPM_SETTLE_LINEAR), QPM_OK);
    cr_assert_eq(qpm_pricer_set(p, QPM_PRICER_THREADS, 1000), QPM_E_RANGE);
    cr_assert_str_eq(qpm_last_error(),
                     "QPM_PRICER_THREADS = 1000: must be a whole number in [1, 256]");
    cr_assert_eq(qpm_pricer_set(p, QPM_PRICER_THREADS, 2.5), QPM_E_RANGE);
    cr_assert_str_eq(qpm_last_error(), "QPM_PRICER_THREADS = 2.5: must be a whole number");
    cr_assert_eq(qpm_pricer_set(p, QPM_PRICER_KERNEL, 7), QPM_E_RANGE);
    cr_assert_str_eq(qpm_last_error(),
                     "QPM_PRICER_KERNEL = 7: must be one of QPM_PRICER_KERNEL_AUTO (0), "
                     "QPM_PRICER_KERNEL_SCALAR (1), QPM_PRICER_KERNEL_AVX2 (2), "
                     "QPM_PRICER_KERNEL_AVX512 (3)");
    cr_assert_eq(qpm_pricer_set(p, (qpm_pricer_key)9, 1), QPM_E_KEY);
    cr_assert_str_eq(qpm_last_error(), "key = 9: not a qpm_pricer_key");
    qpm_pricer_free(p);

    qpm_cov *c;
    cr_assert_eq(qpm_cov_create(&c, NULL, 2), QPM_OK);
    cr_assert_eq(qpm_cov_set(c, QPM_COV_ANNUALISE, 2), QPM_E_RANGE);
    cr_assert_str_eq(qpm_last_error(), "QPM_COV_ANNUALISE = 2: must be 0 or 1");
    cr_assert_eq(qpm_cov_set(c, QPM_COV_NAN_POLICY, -1), QPM_E_RANGE);
    cr_assert_str_eq(qpm_last_error(),
                     "QPM_COV_NAN_POLICY = -1: must be one of QPM_COV_NAN_ERROR (0), "
                     "QPM_COV_NAN_DROP_ROWS (1), QPM_COV_NAN_PAIRWISE (2)");
    cr_assert_eq(qpm_cov_set(c, QPM_COV_PERIODS_PER_YEAR, 2e12), QPM_E_RANGE);
    cr_assert_str_eq(qpm_last_error(), "QPM_COV_PERIODS_PER_YEAR = 2000000000000: must be in "
                                       "[2.2250738585072014e-308, 1000000000000]");
    qpm_cov_free(c);

    qpm_opt *o;
    cr_assert_eq(qpm_opt_create(&o, NULL, 2), QPM_OK);
    cr_assert_eq(qpm_opt_set(o, QPM_OPT_TOLERANCE, 1e-20), QPM_E_RANGE);
    cr_assert_str_eq(qpm_last_error(), "QPM_OPT_TOLERANCE = 1e-20: must be in [1e-14, 0.0001]");
    cr_assert_eq(qpm_opt_set(o, QPM_OPT_MAX_ITER, 2e6), QPM_E_RANGE);
    cr_assert_str_eq(qpm_last_error(),
                     "QPM_OPT_MAX_ITER = 2000000: must be a whole number in [1, 1000000]");
    qpm_opt_free(o);

    qpm_risk *r;
    cr_assert_eq(qpm_risk_create(&r, NULL), QPM_OK);
    cr_assert_eq(qpm_risk_set(r, QPM_RISK_HORIZON_DAYS, 0), QPM_E_RANGE);
    cr_assert_str_eq(qpm_last_error(), "QPM_RISK_HORIZON_DAYS = 0: must be in (0, 3650]");
    cr_assert_eq(qpm_risk_set(r, QPM_RISK_T_DOF, 1.5), QPM_E_RANGE);
    cr_assert_str_eq(qpm_last_error(), "QPM_RISK_T_DOF = 1.5: must be 0 or +inf (Gaussian) or "
                                       "> 2 (finite variance)");
    double v;
    cr_assert_eq(qpm_risk_get(r, QPM_RISK_T_DOF, &v), QPM_OK);
    cr_assert_eq(v, 0.0); /* a hook's refusal changes nothing */
    qpm_risk_free(r);
    cr_assert_eq(qt_leak_check(), 0);
}

Test(core_settings, a_failed_threads_change_keeps_the_old_pool)
{
    /* every allocation fails: the pool cannot start, the setting stays */
    qt_failalloc fa;
    qt_failalloc_init(&fa, -1);
    qpm_pricer *p;
    cr_assert_eq(qpm_pricer_create(&p, &fa.alloc, QPM_MODEL_BSM, QPM_SETTLE_LINEAR), QPM_OK);
    fa.fail_at = fa.calls;
    cr_assert_eq(qpm_pricer_set(p, QPM_PRICER_THREADS, 3), QPM_E_NOMEM);
    double v;
    cr_assert_eq(qpm_pricer_get(p, QPM_PRICER_THREADS, &v), QPM_OK);
    cr_assert_eq(v, 1.0);
    fa.fail_at = -1;
    cr_assert_eq(qpm_pricer_set(p, QPM_PRICER_THREADS, 3), QPM_OK);
    cr_assert_eq(qpm_pricer_get(p, QPM_PRICER_THREADS, &v), QPM_OK);
    cr_assert_eq(v, 3.0);
    qpm_pricer_free(p);
    cr_assert_eq(fa.live, 0);
}
