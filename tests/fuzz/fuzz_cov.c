/* Fuzz target: the cov family (include/qpm/cov.h).  A handle of 1..8 assets
 * (and invalid sizes), every setting, fits on returns and on prices with
 * missing values and extremes, streaming pushes and resets, every getter,
 * and the stateless functions: returns from prices, nearest correlation,
 * smallest eigenvalue and the PSD check.  Beyond the common invariants:
 * estimates are symmetric with a non-negative diagonal, correlations have a
 * unit diagonal and entries in [-1, 1], shrinkage lies in [0, 1]; a failed
 * fit leaves the handle either unchanged or without an estimate (cov.h
 * "Errors"); the nearest correlation matrix is a correlation matrix. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_support.h"

#define NA   8
#define TMAX 300

typedef struct state {
    fz_alloc fa;
    qpm_cov *h;
    size_t n; /* assets of h */
    double x[TMAX * (NA + 2)];
    double out[(NA + 2) * (NA + 2)];
    double tmp[(NA + 2) * (NA + 2)];
} state;

static size_t draw_assets(fz_in *in)
{
    uint8_t m = fz_u8(in);
    if (m < 250)
        return 1 + m % NA;
    return m == 250 ? 0 : m == 251 ? (size_t)2147483648u : (size_t)2147483647u;
}

/* t rows of width ld; NaNs sprinkled when asked */
static void draw_matrix(fz_in *in, double *x, size_t t, size_t ld, double lo, double hi)
{
    fz_fill(in, x, t * ld, lo, hi);
    uint8_t holes = fz_u8(in);
    if (holes >= 200) {
        size_t k = fz_range(in, 1, 6);
        for (size_t j = 0; j < k && t * ld > 0; j++)
            x[fz_range(in, 0, t * ld - 1)] = fz_u8(in) < 200 ? (double)NAN : fz_special(in);
    }
}

/* Every getter, hashed; checks the estimate's contract. */
static uint64_t getters(state *s, uint64_t h, size_t ld, uint8_t which)
{
    fz_trace("getters ld %zu which %d", ld, which);
    size_t n = s->n;
    if (s->h == NULL)
        return h;
    qpm_status st;
    fz_poison(s->out, sizeof s->out / sizeof s->out[0]);
    st = FZ(qpm_cov_covariance(s->h, which & 1 ? NULL : s->out, ld));
    h = fz_hash(h, &st, sizeof st);
    if (st == QPM_OK) {
        for (size_t i = 0; i < n; i++) {
            fz_expect(FZ_COV_MATRIX, "covariance row", &s->out[i * ld], n, 1, 0);
            fz_expect(FZ_COV_VARIANCE, "covariance diagonal", &s->out[i * ld + i], 1, 1, 0);
            for (size_t j = 0; j < i; j++)
                if (memcmp(&s->out[i * ld + j], &s->out[j * ld + i], sizeof(double)) != 0)
                    fz_fail("covariance[%zu][%zu] = %.17g != [%zu][%zu] = %.17g", i, j,
                            s->out[i * ld + j], j, i, s->out[j * ld + i]);
            h = fz_hash(h, &s->out[i * ld], n * sizeof(double));
        }
    } else {
        fz_untouched(s->out, sizeof s->out / sizeof s->out[0], "covariance out");
    }
    fz_poison(s->out, sizeof s->out / sizeof s->out[0]);
    st = FZ(qpm_cov_correlation(s->h, s->out, ld));
    h = fz_hash(h, &st, sizeof st);
    if (st == QPM_OK) {
        for (size_t i = 0; i < n; i++) {
            fz_expect(FZ_COV_CORR, "correlation row", &s->out[i * ld], n, 1, 0);
            if (s->out[i * ld + i] != 1.0)
                fz_fail("correlation[%zu][%zu] = %.17g", i, i, s->out[i * ld + i]);
            h = fz_hash(h, &s->out[i * ld], n * sizeof(double));
        }
    } else {
        fz_untouched(s->out, sizeof s->out / sizeof s->out[0], "correlation out");
    }
    double v[NA + 2];
    fz_poison(v, NA + 2);
    st = FZ(qpm_cov_volatility(s->h, v));
    h = fz_hash(h, &st, sizeof st);
    if (st == QPM_OK) {
        fz_expect(FZ_COV_VOL, "volatility", v, n, 1, 0);
        h = fz_hash(h, v, n * sizeof(double));
    }
    st = FZ(qpm_cov_mean(s->h, v));
    h = fz_hash(h, &st, sizeof st);
    if (st == QPM_OK) {
        fz_expect(FZ_COV_MEAN, "mean", v, n, 1, 0);
        h = fz_hash(h, v, n * sizeof(double));
    }
    double sh = 0;
    st = FZ(qpm_cov_shrinkage(s->h, &sh));
    h = fz_hash(h, &st, sizeof st);
    if (st == QPM_OK) {
        fz_expect(FZ_COV_SHRINK, "shrinkage", &sh, 1, 1, 0);
        h = fz_hash(h, &sh, sizeof sh);
    }
    size_t nobs = 0;
    st = FZ(qpm_cov_nobs(s->h, &nobs));
    h = fz_hash(h, &nobs, sizeof nobs);
    return h;
}

static uint64_t settings_hash(const qpm_cov *c, uint64_t h)
{
    for (int k = 0; k <= QPM_COV_RETURNS; k++) {
        double v = 0;
        if (c)
            qpm_cov_get(c, (qpm_cov_key)k, &v);
        h = fz_hash(h, &v, sizeof v);
    }
    return h;
}

static void check_returns(size_t t, size_t n, const double *pr, size_t ldp, const double *out,
                          size_t ldo)
{
    for (size_t r = 0; r + 1 < t; r++)
        for (size_t j = 0; j < n; j++) {
            double v = out[r * ldo + j];
            int nan_ok = isnan(pr[r * ldp + j]) || isnan(pr[(r + 1) * ldp + j]);
            if (fz_bad(FZ_COV_RETURNS, &v, 1, 1, nan_ok) >= 0) {
                char buf[160];
                snprintf(buf, sizeof buf, "prices %.17g -> %.17g", pr[r * ldp + j],
                         pr[(r + 1) * ldp + j]);
                fz_contract_fail(FZ_COV_RETURNS, "returns", (long)(r * ldo + j), v, buf);
            }
        }
}

static void one_op(fz_pass *p, state *s, fz_in *in)
{
    uint8_t op = fz_u8(in) % 12;
    long arm = (fz_u8(in) % 8 == 0) ? (long)fz_range(in, 0, 12) : -1;
    qpm_status st = QPM_OK;
    uint64_t hash = FZ_HASH0;
    long i;
    size_t n = s->n;

    switch (op) {
    case 0: { /* (re)create */
        size_t na = draw_assets(in);
        i = fz_op(p, "cov create");
        if (fz_skip(p, i, 0))
            return;
        qpm_cov *t = (qpm_cov *)&hash;
        fz_arm_op(p, i, &s->fa, arm);
        st = FZ(qpm_cov_create(&t, &s->fa.alloc, na));
        fz_disarm(&s->fa);
        if (st != QPM_OK) {
            if (t != NULL)
                fz_fail("create failed but *out is not NULL");
        } else {
            qpm_cov_free(s->h);
            s->h = t;
            s->n = na;
        }
        break;
    }
    case 1: { /* a setting */
        uint8_t kb = fz_u8(in);
        int key = kb < 240 ? kb % 10 : (int)kb - 245;
        double lo = 0, hi = 0;
        qpm_cov_bounds((qpm_cov_key)key, &lo, &hi);
        if (key == QPM_COV_DDOF || key == QPM_COV_EWMA_INIT_ROWS)
            hi = fz_u8(in) < 250 ? 40 : hi;
        double v = fz_setting(in, lo, hi);
        i = fz_op(p, "cov set");
        if (fz_skip(p, i, 0))
            return;
        uint64_t before = settings_hash(s->h, FZ_HASH0);
        st = FZ(qpm_cov_set(s->h, (qpm_cov_key)key, v));
        if (st != QPM_OK && settings_hash(s->h, FZ_HASH0) != before)
            fz_fail("failed cov_set changed a setting");
        double g = 0;
        if (s->h && FZ(qpm_cov_get(s->h, (qpm_cov_key)key, &g)) == QPM_OK && st == QPM_OK && g != v &&
            !(key == QPM_COV_KERNEL && v == QPM_COV_KERNEL_AUTO)) /* reads the one chosen */
            fz_fail("cov_get(%d) = %.17g after setting %.17g", key, g, v);
        hash = settings_hash(s->h, hash);
        break;
    }
    case 2:
    case 3:
    case 4: { /* fit returns or prices */
        int prices = op == 4;
        size_t t = fz_u8(in) < 240 ? fz_range(in, 0, 40) : fz_range(in, 0, TMAX);
        size_t ld = n + (fz_u8(in) % 3 == 0);
        if (fz_u8(in) == 255)
            ld = n ? n - 1 : 0;
        size_t cap = sizeof s->x / sizeof s->x[0];
        if (t * (ld ? ld : 1) > cap)
            t = cap / (ld ? ld : 1);
        if (prices)
            draw_matrix(in, s->x, t, ld, 1e-2, 1e6);
        else
            draw_matrix(in, s->x, t, ld, -0.3, 0.3);
        int null_x = fz_u8(in) == 7;
        uint8_t which = fz_u8(in);
        i = fz_op(p, prices ? "cov fit_prices" : "cov fit");
        if (fz_skip(p, i, 0))
            return;
        fz_trace("fit t %zu ld %zu n %zu arm %ld", t, ld, n, arm);
        for (size_t e = 0; e < t * ld && e < 12; e++)
            fz_trace("  x[%zu] = %.17g", e, s->x[e]);
        uint64_t before = getters(s, FZ_HASH0, n, 0);
        fz_arm_op(p, i, &s->fa, arm);
        if (prices)
            st = FZ(qpm_cov_fit_prices(s->h, t, null_x ? NULL : s->x, ld));
        else
            st = FZ(qpm_cov_fit(s->h, t, null_x ? NULL : s->x, ld));
        fz_disarm(&s->fa);
        if (st != QPM_OK && s->h != NULL) {
            /* cov.h: argument errors leave the handle unchanged; a fit that
             * fails after its checks leaves it with no estimate */
            double tmp[(NA + 2) * (NA + 2)];
            qpm_status g = FZ(qpm_cov_covariance(s->h, tmp, n));
            if (g == QPM_E_STATE)
                fz_mark_replay(p, i);
            else if (getters(s, FZ_HASH0, n, 0) != before)
                fz_fail("failed fit (%s) changed the estimate", qpm_status_name(st));
        }
        hash = getters(s, hash, n, which);
        break;
    }
    case 5: { /* reset */
        i = fz_op(p, "cov reset");
        if (fz_skip(p, i, 0))
            return;
        st = FZ(qpm_cov_reset(s->h));
        hash = getters(s, hash, n, 0);
        break;
    }
    case 6:
    case 7: { /* push a few rows */
        size_t rows = fz_range(in, 1, 30);
        draw_matrix(in, s->x, rows, n ? n : 1, -0.3, 0.3);
        i = fz_op(p, "cov push");
        if (fz_skip(p, i, 0))
            return;
        for (size_t r = 0; r < rows; r++) {
            uint64_t before = getters(s, FZ_HASH0, n, 0);
            for (size_t j = 0; j < n; j++)
                fz_trace("push row %zu [%zu] = %.17g", r, j, s->x[r * n + j]);
            qpm_status sr = FZ(qpm_cov_push(s->h, s->x + r * n));
            if (sr != QPM_OK) {
                if (getters(s, FZ_HASH0, n, 0) != before)
                    fz_fail("failed push changed the handle");
                st = sr;
                if (r > 0) /* rows before it were pushed: pass B runs them too */
                    fz_mark_replay(p, i);
                break;
            }
        }
        hash = getters(s, hash, n, 0);
        break;
    }
    case 8: { /* getters with an odd ld */
        size_t ld = n + fz_range(in, 0, 2);
        if (fz_u8(in) == 255)
            ld = n ? n - 1 : 0;
        uint8_t which = fz_u8(in);
        i = fz_op(p, "cov getters");
        if (fz_skip(p, i, 0))
            return;
        hash = getters(s, hash, ld, which);
        break;
    }
    case 9: { /* returns from prices (stateless), in place sometimes */
        size_t t = fz_range(in, 0, 40), nn = fz_range(in, 0, NA);
        size_t ldp = nn + fz_range(in, 0, 1), ldo = nn + fz_range(in, 0, 1);
        if (fz_u8(in) == 255)
            ldp = nn ? nn - 1 : 0;
        int kind = (int)(fz_u8(in) % 3);
        int inplace = fz_u8(in) & 1;
        draw_matrix(in, s->x, t, ldp ? ldp : 1, 1e-3, 1e6);
        i = fz_op(p, "cov returns_from_prices");
        if (fz_skip(p, i, 0))
            return;
        double *out = inplace ? s->x : s->tmp;
        size_t lo_ = inplace ? ldp : ldo;
        static double copy[TMAX * (NA + 2)];
        memcpy(copy, s->x, sizeof copy);
        static double obuf[TMAX * (NA + 2)];
        if (!inplace) {
            out = obuf;
            fz_poison(obuf, sizeof obuf / sizeof obuf[0]);
        }
        st =
            FZ(qpm_cov_returns_from_prices(t, nn, s->x, ldp, (qpm_cov_returns_kind)kind, out, lo_));
        if (st == QPM_OK) {
            check_returns(t, nn, copy, ldp, out, lo_);
            for (size_t r = 0; r + 1 < t; r++)
                hash = fz_hash(hash, out + r * lo_, nn * sizeof(double));
        } else if (inplace) {
            if (memcmp(copy, s->x, sizeof copy) != 0)
                fz_fail("failed returns_from_prices wrote its in-place output");
        } else {
            fz_untouched(obuf, sizeof obuf / sizeof obuf[0], "returns out");
        }
        break;
    }
    case 10: { /* nearest correlation */
        size_t nn = fz_range(in, 0, 6);
        size_t lda = nn + fz_range(in, 0, 1);
        double a[64], w[8];
        fz_fill(in, a, 64, -1.5, 1.5);
        int sym = fz_u8(in) & 1;
        if (sym)
            for (size_t r = 0; r < nn; r++)
                for (size_t c = 0; c < r; c++)
                    a[c * lda + r] = a[r * lda + c];
        int use_w = fz_u8(in) & 1;
        fz_fill(in, w, 8, 0.1, 10);
        double tol = fz_real(in, 1e-12, 1e-2);
        size_t maxiter = fz_u8(in) < 250 ? fz_range(in, 1, 200) : 0;
        i = fz_op(p, "cov nearest_correlation");
        if (fz_skip(p, i, 0))
            return;
        double out[64];
        fz_poison(out, 64);
        size_t iters = 0;
        int conv = -1;
        fz_arm_op(p, i, &s->fa, arm);
        st = FZ(qpm_cov_nearest_correlation(&s->fa.alloc, nn, a, lda, use_w ? w : NULL, tol,
                                            maxiter, out, nn, &iters, &conv));
        fz_disarm(&s->fa);
        if (st != QPM_OK) {
            fz_untouched(out, 64, "nearest_correlation out");
            break;
        }
        if (conv != 0 && conv != 1)
            fz_fail("converged = %d", conv);
        fz_expect(FZ_COV_NEAREST, "nearest correlation", out, nn * nn, 1, 0);
        for (size_t r = 0; r < nn; r++)
            if (fabs(out[r * nn + r] - 1.0) > 1e-14)
                fz_fail("nearest correlation diagonal[%zu] = %.17g", r, out[r * nn + r]);
        double lam = 0;
        if (nn > 0 && FZ(qpm_cov_min_eigenvalue(NULL, nn, out, nn, &lam)) == QPM_OK &&
            lam < -1e-10 * (double)nn)
            fz_fail("nearest correlation has eigenvalue %.17g (converged = %d after %zu)", lam,
                    conv, iters);
        hash = fz_hash(hash, out, nn * nn * sizeof(double));
        hash = fz_hash(hash, &iters, sizeof iters);
        break;
    }
    default: { /* smallest eigenvalue and the PSD check */
        size_t nn = fz_range(in, 0, 7);
        size_t lda = nn + fz_range(in, 0, 1);
        double a[64];
        fz_fill(in, a, 64, -2, 2);
        if (fz_u8(in) & 1)
            for (size_t r = 0; r < nn; r++)
                for (size_t c = 0; c < r; c++)
                    a[c * lda + r] = a[r * lda + c];
        double tol = fz_real(in, 0, 1);
        int which = fz_u8(in) & 1;
        i = fz_op(p, which ? "cov check_psd" : "cov min_eigenvalue");
        if (fz_skip(p, i, 0))
            return;
        double lam = 12345;
        fz_arm_op(p, i, &s->fa, arm);
        if (which) {
            st = FZ(qpm_cov_check_psd(&s->fa.alloc, nn, a, lda, tol, &lam));
            fz_disarm(&s->fa);
            if (st == QPM_OK && !(lam >= -tol))
                fz_fail("check_psd OK with lambda_min = %.17g < -tol = %.17g", lam, -tol);
            if (st == QPM_E_NOTPSD && !(lam < -tol))
                fz_fail("check_psd NOTPSD with lambda_min = %.17g >= -tol = %.17g", lam, -tol);
            if (st == QPM_OK) /* cov.h: with QPM_E_NOTPSD it may be -inf */
                fz_expect(FZ_COV_EIGEN, "lambda_min", &lam, 1, 1, 0);
            if (st == QPM_E_NOTPSD && !(lam < 0) && !isnan(lam))
                fz_fail("check_psd NOTPSD with lambda_min = %.17g", lam);
            if (st == QPM_OK || st == QPM_E_NOTPSD)
                hash = fz_hash(hash, &lam, sizeof lam);
        } else {
            st = FZ(qpm_cov_min_eigenvalue(&s->fa.alloc, nn, a, lda, &lam));
            fz_disarm(&s->fa);
            if (st == QPM_OK) {
                fz_expect(FZ_COV_EIGEN, "lambda_min", &lam, 1, 1, 0);
                hash = fz_hash(hash, &lam, sizeof lam);
            }
        }
        break;
    }
    }
    fz_end(p, i, st, hash);
}

static void run(fz_pass *p, void *vs, const uint8_t *data, size_t size)
{
    state *s = vs;
    fz_in in;
    fz_init(&in, data, size);
    s->h = NULL;
    s->n = 0;
    fz_alloc_init(&s->fa);
    while (fz_more(&in) && p->ops < FZ_MAX_OPS)
        one_op(p, s, &in);
    qpm_cov_free(s->h);
    fz_check_freed(&s->fa);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static state s;
    fz_two_passes(run, &s, sizeof s, data, size);
    return 0;
}
