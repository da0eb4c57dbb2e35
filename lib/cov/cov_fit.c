/* Batch estimation.  Pass 1 validates every row and sums the columns; pass 2
 * centres (or weights) the rows a block at a time into a buffer and
 * accumulates them with symmetric rank-k updates (dsyrk: half the work of a
 * general product).  Centring with the pass-1 mean before the product keeps
 * the result accurate to rounding: the mean's own rounding error enters the
 * co-moments only at second order, and the column sums of the centred data
 * refine the reported mean. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cov_internal.h"
#include "cov_kern.h"
#include "cov_syrk.h"
#include "num/linalg.h"

/* ---- row iteration --------------------------------------------------------- */

/* Whether pass 1 marked row r as skipped (QPM_COV_NAN_DROP_ROWS, a NaN in
 * it): the later passes read the mark instead of scanning the row again. */
static int dropped(const qpm_cov *c, size_t r)
{
    return c->n_drop != 0 && (c->drop[r / 8] >> (r % 8) & 1u);
}

/* Next row to use, starting at *r; NULL after the last. */
static const double *next_row(const qpm_cov *c, const double *x, size_t t, size_t ld, size_t *r)
{
    while (*r < t) {
        size_t at = (*r)++;
        if (!dropped(c, at))
            return x + at * ld;
    }
    return NULL;
}

/* The next block of at most QPM__COV_BLOCK rows to use, starting at *r:
 * their addresses in rows[], their count returned (0 after the last). */
static size_t next_block(const qpm_cov *c, const double *x, size_t t, size_t ld, size_t *r,
                         const double *rows[QPM__COV_BLOCK])
{
    size_t nb = 0;
    const double *row;
    while (nb < QPM__COV_BLOCK && (row = next_row(c, x, t, ld, r)) != NULL)
        rows[nb++] = row;
    return nb;
}

/* Marks the rows of the fit that hold a non-finite value (the rows the scan
 * found to drop: NaN rows under QPM_COV_NAN_DROP_ROWS), growing the marks
 * to t rows if needed.  Called after the fit's size checks, as every other
 * workspace, so that whether a fit fails, and how, does not depend on what
 * the handle allocated before. */
static qpm_status mark_dropped(qpm_cov *c, size_t t, const double *x, size_t ld)
{
    size_t bytes = t / 8 + 1;
    if (c->drop_rows < t) {
        unsigned char *d = qpm__calloc(&c->alloc, bytes, 1);
        if (d == NULL)
            return qpm__fail(QPM_E_NOMEM, "out of memory marking the %zu rows to drop", t);
        qpm__free(&c->alloc, c->drop);
        c->drop = d;
        c->drop_rows = t;
    } else {
        memset(c->drop, 0, bytes);
    }
    size_t m = 0;
    for (size_t r = 0; r < t; r++)
        if (qpm__cov_k_nonfinite(c->n, x + r * ld)) {
            c->drop[r / 8] |= (unsigned char)(1u << (r % 8));
            m++;
        }
    c->n_drop = m;
    return QPM_OK;
}

/* ---- pass 1 ---------------------------------------------------------------- */

/* Checks one row holding a non-finite value: an infinity is always an error,
 * a NaN under QPM_COV_NAN_ERROR.  *nan_row is set when it holds a NaN. */
static qpm_status classify_row(const qpm_cov *c, size_t r, const double *row, int *nan_row)
{
    size_t n = c->n, nan_at = n;
    for (size_t j = 0; j < n; j++) {
        if (isnan(row[j])) {
            if (nan_at == n)
                nan_at = j;
        } else if (!isfinite(row[j])) {
            return qpm__fail(QPM_E_NONFINITE,
                             "returns[%zu][%zu] = %g: must be finite (or NaN if missing)", r, j,
                             row[j]);
        }
    }
    if (nan_at < n && c->nan_policy == QPM_COV_NAN_ERROR)
        return qpm__fail(QPM_E_NONFINITE,
                         "returns[%zu][%zu] = nan: missing values are refused under "
                         "QPM_COV_NAN_ERROR",
                         r, nan_at);
    *nan_row = nan_at < n;
    return QPM_OK;
}

/* Validates the rows and leaves the column sums in tmp (pairwise: of present
 * values, with the counts in tmp3); *kept counts the rows free of NaN.  For
 * EWMA the largest square of each column goes to tmp4. */
static qpm_status scan_rows(qpm_cov *c, size_t t, const double *x, size_t ld, size_t *kept)
{
    /* the rows to drop are counted here and marked by mark_dropped */
    size_t n = c->n, k = 0;
    double *sum = c->tmp, *cnt = c->tmp3, *sqmax = c->tmp4;
    int pairwise = c->nan_policy == QPM_COV_NAN_PAIRWISE, ewma = c->method == QPM_COV_EWMA;
    memset(sum, 0, n * sizeof(double));
    memset(cnt, 0, n * sizeof(double));
    memset(sqmax, 0, n * sizeof(double));
    c->n_drop = 0;
    if (c->nan_policy == QPM_COV_NAN_ERROR) {
        /* A non-finite value makes its column sum non-finite; only then are
         * the rows searched for it. */
        for (size_t r = 0; r < t; r++) {
            if (ewma)
                qpm__cov_k_add_sqmax(n, x + r * ld, sum, sqmax);
            else
                qpm__cov_k_add(n, x + r * ld, sum);
        }
        for (size_t j = 0; j < n; j++) {
            if (isfinite(sum[j]))
                continue;
            for (size_t r = 0; r < t; r++) {
                int nan_row;
                if (qpm__cov_k_nonfinite(n, x + r * ld)) {
                    qpm_status st = classify_row(c, r, x + r * ld, &nan_row);
                    if (st != QPM_OK)
                        return st;
                }
            }
            return qpm__fail(QPM_E_INVALID,
                             "returns of asset %zu are too large: their sum overflows", j);
        }
        *kept = t;
        return QPM_OK;
    }
    for (size_t r = 0; r < t; r++) {
        const double *row = x + r * ld;
        if (!qpm__cov_k_nonfinite(n, row)) {
            if (ewma)
                qpm__cov_k_add_sqmax(n, row, sum, sqmax);
            else
                qpm__cov_k_add(n, row, sum);
            k++;
            continue;
        }
        int nan_row = 0;
        qpm_status st = classify_row(c, r, row, &nan_row);
        if (st != QPM_OK)
            return st;
        if (pairwise) {
            for (size_t j = 0; j < n; j++)
                if (!isnan(row[j])) {
                    sum[j] += row[j];
                    cnt[j] += 1.0;
                }
        }
    }
    if (pairwise) {
        for (size_t j = 0; j < n; j++) {
            cnt[j] += (double)k;
            if (cnt[j] < 2.0)
                return qpm__fail(QPM_E_SIZE,
                                 "asset %zu has %.0f present returns: needs at least 2", j,
                                 cnt[j]);
        }
    }
    for (size_t j = 0; j < n; j++)
        if (!isfinite(sum[j]))
            return qpm__fail(QPM_E_INVALID,
                             "returns of asset %zu are too large: their sum overflows", j);
    *kept = k;
    return QPM_OK;
}

/* The column sums of the centred rows (tmp2) correct the first pass's mean
 * for its rounding. */
static void refine_mean(qpm_cov *c, size_t kept)
{
    for (size_t j = 0; j < c->n; j++)
        c->mean[j] += c->tmp2[j] / (double)kept;
}

/* ---- sample co-moments (SAMPLE, LEDOIT_WOLF, OAS) --------------------------- */

/* Centres the rows a block at a time into blk (cc: their squares into blk2
 * and cubes into blk3), accumulates the co-moments (cc: also the co-moments
 * of the squares into aux1 and of cubes with values into aux2), V = sum_t
 * |d_t|^2 d_t into v3, the column sums of the centred rows into tmp2 and
 * sum_t |d_t|^4 into a4.  Without cc, on the packed kernel (cov_syrk.h)
 * when it is the handle's: centring, packing, the column sums, |d_t|^2 and
 * V in one sweep over each row. */
static void moments_pass(qpm_cov *c, size_t t, const double *x, size_t ld, int cc)
{
    size_t n = c->n, nb, r = 0;
    double *mean = c->mean, *colsum = c->tmp2, *v3 = c->v3, *a = c->wtab;
    double a4 = 0.0;
    const double *rows[QPM__COV_BLOCK];
    memset(colsum, 0, n * sizeof(double));
    memset(v3, 0, n * sizeof(double));
    for (int first = 1; (nb = next_block(c, x, t, ld, &r, rows)) > 0; first = 0) {
        double beta = first ? 0.0 : 1.0;
#ifdef QPM__COV_HAVE_SYRK_AVX512
        if (!cc && c->packed) {
            for (size_t k = 0; k < nb; k++) {
                /* V += |d_t|^2 d_t */
                double ak = qpm__cov_syrk_pack_avx512(n, k, rows[k], mean, c->blk, colsum, v3);
                a4 += ak * ak;
            }
            qpm__cov_syrk_avx512(n, nb, c->blk, c->mom, n, beta);
            continue;
        }
#endif
        for (size_t k = 0; k < nb; k++) {
            double *b = c->blk + k * n;
            a[k] = qpm__cov_k_centre(n, rows[k], mean, b, colsum);
            a4 += a[k] * a[k];
            if (cc) {
                double *b2 = c->blk2 + k * n, *b3 = c->blk3 + k * n;
                for (size_t j = 0; j < n; j++) {
                    double d2 = b[j] * b[j];
                    b2[j] = d2;
                    b3[j] = d2 * b[j];
                }
            }
        }
        qpm__dsyrk(QPM__ROW_MAJOR, QPM__LOWER, QPM__TRANS, (int)n, (int)nb, 1.0, c->blk, (int)n,
                   beta, c->mom, (int)n);
        /* V += sum_t |d_t|^2 d_t */
        qpm__dgemv(QPM__ROW_MAJOR, QPM__TRANS, (int)nb, (int)n, 1.0, c->blk, (int)n, a, 1, 1.0,
                   v3, 1);
        if (cc) {
            qpm__dsyrk(QPM__ROW_MAJOR, QPM__LOWER, QPM__TRANS, (int)n, (int)nb, 1.0, c->blk2,
                       (int)n, beta, c->aux1, (int)n);
            qpm__dgemm(QPM__ROW_MAJOR, QPM__TRANS, QPM__NO_TRANS, (int)n, (int)n, (int)nb, 1.0,
                       c->blk3, (int)n, c->blk, (int)n, beta, c->aux2, (int)n);
        }
    }
    c->a4 = a4;
}

/* ---- semicovariance -------------------------------------------------------- */

static void semi_pass(qpm_cov *c, size_t t, const double *x, size_t ld, size_t kept)
{
    size_t n = c->n, nb, r = 0;
    double bm = c->benchmark, *colsum = c->tmp2;
    const double *rows[QPM__COV_BLOCK];
    memset(colsum, 0, n * sizeof(double));
    for (int first = 1; (nb = next_block(c, x, t, ld, &r, rows)) > 0; first = 0) {
        for (size_t k = 0; k < nb; k++)
            qpm__cov_k_downside(n, bm, rows[k], c->mean, c->blk + k * n, colsum);
        qpm__dsyrk(QPM__ROW_MAJOR, QPM__LOWER, QPM__TRANS, (int)n, (int)nb, 1.0, c->blk, (int)n,
                   first ? 0.0 : 1.0, c->est, (int)n);
    }
    double f = 1.0 / (double)kept;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j <= i; j++)
            c->est[i * n + j] *= f;
}

/* ---- EWMA ------------------------------------------------------------------ */

/* The seed is the ddof = 1 covariance of the first k0 rows.  From row k0 + 1
 * on, S_t = lambda S_{t-1} + (1 - lambda) x_t x_t'.  A block of rows t = b..e
 * applies at once as S_e = lambda^(e-b+1) S_{b-1} + sum_t w_t^2 x_t x_t' with
 * w_t = sqrt((1 - lambda) lambda^(e-t)): one dsyrk with beta = lambda^len. */
static void ewma_fit(qpm_cov *c, size_t t, const double *x, size_t ld, size_t kept)
{
    size_t n = c->n, k0 = c->init_rows, r = 0;
    double l = c->lambda, w1 = 1.0 - l;
    double *sm = c->tmp3, *dv = c->tmp2, *sqmax = c->tmp4;
    const double *row;

    memset(sm, 0, n * sizeof(double));
    memset(dv, 0, n * sizeof(double));
    for (size_t k = 0; k < k0; k++)
        qpm__cov_k_add(n, next_row(c, x, t, ld, &r), sm);
    for (size_t j = 0; j < n; j++)
        sm[j] /= (double)k0;
    r = 0;
    for (size_t k = 0; k < k0; k++) {
        row = next_row(c, x, t, ld, &r);
        for (size_t j = 0; j < n; j++)
            dv[j] += (row[j] - sm[j]) * (row[j] - sm[j]);
    }
    /* Each diagonal entry of each S_t is a weighted mean of a seed variance
     * and earlier squared returns, so mx bounds every |S_t(i,j)| (S_t is
     * PSD).  The rows before `start` (1-based), seed included, reach S_kept
     * through lambda^(kept - start + 1) S_(start-1): they are dropped when
     * that bound is <= 2^-60 of a lower bound of the largest result variance
     * (from the newest rows alone), i.e. below double rounding. */
    double mx = 0.0;
    for (size_t j = 0; j < n; j++)
        mx = fmax(mx, fmax(dv[j] / (double)(k0 - 1), sqmax[j]));
    size_t start = k0 + 1, avail = kept - k0; /* first weighted row, rows after the seed */
    int seeded = 1;
    double lnl = log(l);
    if (mx > 0.0 && (double)avail > 60.0 * 0.6931471805599453 / -lnl) {
        size_t w = avail < 64 ? avail : 64, age = 0;
        memset(dv, 0, n * sizeof(double));
        for (size_t rr = t; rr-- > 0 && age < w;) {
            row = x + rr * ld;
            if (dropped(c, rr))
                continue;
            double f = w1 * pow(l, (double)age++);
            for (size_t j = 0; j < n; j++)
                dv[j] += f * (row[j] * row[j]);
        }
        double dmax = 0.0;
        for (size_t j = 0; j < n; j++)
            dmax = fmax(dmax, dv[j]);
        if (dmax > 0.0) {
            double len = ceil(log(0x1p-60 * dmax / mx) / lnl) + 1.0;
            if (len >= 1.0 && len < (double)avail) {
                start = kept - (size_t)len + 1;
                seeded = 0;
            }
        }
    }

    for (size_t k = 0; k < QPM__COV_BLOCK; k++)
        c->wtab[k] = sqrt(w1 * pow(l, (double)k));

    int first = 1;
    size_t ord = 0, nb = 0; /* ordinal of the last row read (1-based) */
    r = 0;
    if (seeded) {
        while (ord < k0) {
            row = next_row(c, x, t, ld, &r);
            ord++;
            double *b = c->blk + nb * n;
            for (size_t j = 0; j < n; j++)
                b[j] = row[j] - sm[j];
            nb++;
            if (nb == QPM__COV_BLOCK || ord == k0) {
                qpm__dsyrk(QPM__ROW_MAJOR, QPM__LOWER, QPM__TRANS, (int)n, (int)nb, 1.0, c->blk,
                           (int)n, first ? 0.0 : 1.0, c->ew, (int)n);
                first = 0;
                nb = 0;
            }
        }
        double f = 1.0 / (double)(k0 - 1);
        for (size_t i = 0; i < n; i++)
            for (size_t j = 0; j <= i; j++)
                c->ew[i * n + j] *= f;
    } else {
        while (ord + 1 < start) {
            next_row(c, x, t, ld, &r);
            ord++;
        }
    }
    while (ord < kept) {
        size_t b0 = ord + 1, len = kept - ord;
        if (len > QPM__COV_BLOCK)
            len = QPM__COV_BLOCK;
        size_t e = b0 + len - 1;
        double beta = first ? 0.0 : pow(l, (double)len);
#ifdef QPM__COV_HAVE_SYRK_AVX512
        if (c->packed) { /* weighted rows on the packed kernel */
            for (size_t k = 0; k < len; k++) {
                row = next_row(c, x, t, ld, &r);
                ord++;
                qpm__cov_syrk_pack_scaled_avx512(n, k, row, c->wtab[e - ord], c->blk);
            }
            qpm__cov_syrk_avx512(n, len, c->blk, c->ew, n, beta);
            first = 0;
            continue;
        }
#endif
        for (size_t k = 0; k < len; k++) {
            row = next_row(c, x, t, ld, &r);
            ord++;
            qpm__cov_k_scale(n, c->wtab[e - ord], row, c->blk + k * n);
        }
        qpm__dsyrk(QPM__ROW_MAJOR, QPM__LOWER, QPM__TRANS, (int)n, (int)len, 1.0, c->blk, (int)n,
                   beta, c->ew, (int)n);
        first = 0;
    }
}

/* ---- pairwise-complete ----------------------------------------------------- */

static qpm_status pairwise_fit(qpm_cov *c, size_t t, const double *x, size_t ld)
{
    size_t n = c->n, nb, r = 0;
    int semi = c->method == QPM_COV_SEMI;
    double *mean = c->mean, *colsum = c->tmp2, bm = c->benchmark;
    const double *rows[QPM__COV_BLOCK];
    memset(colsum, 0, n * sizeof(double));
    /* z = x - mean (SEMI: min(x - B, 0)) and the mask m = 1 where present,
     * both 0 where missing: Z'Z, Z'M and M'M give per-pair sums and counts.
     * Every row is used (this policy drops none). */
    for (int first = 1; (nb = next_block(c, x, t, ld, &r, rows)) > 0; first = 0) {
        for (size_t k = 0; k < nb; k++) {
            const double *row = rows[k];
            double *z = c->blk + k * n, *mk = c->blk2 + k * n;
            for (size_t j = 0; j < n; j++) {
                if (isnan(row[j])) {
                    z[j] = 0.0;
                    mk[j] = 0.0;
                } else {
                    double d = row[j] - mean[j];
                    colsum[j] += d;
                    if (semi) {
                        double s = row[j] - bm;
                        d = s < 0.0 ? s : 0.0;
                    }
                    z[j] = d;
                    mk[j] = 1.0;
                }
            }
        }
        double beta = first ? 0.0 : 1.0;
        qpm__dsyrk(QPM__ROW_MAJOR, QPM__LOWER, QPM__TRANS, (int)n, (int)nb, 1.0, c->blk, (int)n,
                   beta, c->est, (int)n);
        qpm__dsyrk(QPM__ROW_MAJOR, QPM__LOWER, QPM__TRANS, (int)n, (int)nb, 1.0, c->blk2, (int)n,
                   beta, c->aux2, (int)n);
        if (!semi)
            qpm__dgemm(QPM__ROW_MAJOR, QPM__TRANS, QPM__NO_TRANS, (int)n, (int)n, (int)nb, 1.0,
                       c->blk, (int)n, c->blk2, (int)n, beta, c->aux1, (int)n);
    }
    double need = semi ? 1.0 : (c->ddof >= 1 ? (double)c->ddof + 1.0 : 2.0);
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j <= i; j++) {
            double cnt = c->aux2[i * n + j];
            if (cnt < need)
                return qpm__fail(QPM_E_SIZE,
                                 "assets %zu and %zu share %.0f rows with both present: need at "
                                 "least %.0f",
                                 i, j, cnt, need);
            double *e = c->est + i * n + j;
            if (semi) {
                *e /= cnt;
            } else {
                /* B_ij = sum over the pair's rows of z_i: the pair means in
                 * z units are B_ij / cnt and B_ji / cnt. */
                double bij = c->aux1[i * n + j], bji = c->aux1[j * n + i];
                *e = (*e - bij * bji / cnt) / (cnt - (double)c->ddof);
            }
        }
    qpm_status st = qpm__cov_check_est(c);
    if (st != QPM_OK)
        return st;
    qpm__cov_mirror(c->est, n, n);
    size_t nneg;
    return qpm__cov_psd_project(&c->eig, c->est, NULL, &nneg);
}

/* ---- the batch passes of the estimator table (cov_method.c) -------------------- */

qpm_status qpm__cov_fit_semi(qpm_cov *c, size_t t, const double *x, size_t ld, size_t kept)
{
    semi_pass(c, t, x, ld, kept);
    qpm_status st = qpm__cov_check_est(c);
    if (st != QPM_OK)
        return st;
    c->est_ok = 1;
    refine_mean(c, kept);
    return QPM_OK;
}

/* The mean stays the first pass's: the EWMA weights centre nothing. */
qpm_status qpm__cov_fit_ewma(qpm_cov *c, size_t t, const double *x, size_t ld, size_t kept)
{
    ewma_fit(c, t, x, ld, kept);
    c->have_ew = 1;
    return QPM_OK;
}

/* SAMPLE, LEDOIT_WOLF and OAS: the co-moments, from which the stream goes on
 * (and the EWMA seed when the rows are exactly that many); the
 * constant-correlation target is finished here, from the squares'
 * co-moments that only this pass has. */
qpm_status qpm__cov_fit_moments(qpm_cov *c, size_t t, const double *x, size_t ld, size_t kept)
{
    int cc = qpm__cov_constant_correlation(c);
    moments_pass(c, t, x, ld, cc);
    c->have_mom = 1;
    if (kept < c->init_rows) {
        c->have_ew = 1; /* the stream may still grow into the seed */
    } else if (kept == c->init_rows) {
        qpm__cov_seed_ewma(c);
        c->have_ew = 1;
    }
    if (cc) {
        qpm_status st = qpm__cov_shrink_cc(c, c->aux1, c->aux2);
        if (st == QPM_OK)
            st = qpm__cov_check_est(c);
        if (st != QPM_OK)
            return st;
        c->est_ok = 1;
    }
    refine_mean(c, kept);
    return QPM_OK;
}

/* ---- driver ---------------------------------------------------------------- */

/* "QPM_COV_SAMPLE and QPM_COV_SEMI": the methods that serve PAIRWISE. */
static qpm_status pairwise_unsupported(void)
{
    char list[160] = "";
    size_t len = 0, k = 0, count = 0;
    for (size_t m = 0; m < QPM__COV_NMETHODS; m++)
        count += (qpm__cov_methods[m].props & QPM__COV_PAIRWISE) != 0;
    for (size_t m = 0; m < QPM__COV_NMETHODS && len < sizeof list; m++) {
        if (!(qpm__cov_methods[m].props & QPM__COV_PAIRWISE))
            continue;
        k++;
        int w = snprintf(list + len, sizeof list - len, "%s%s",
                         k == 1 ? "" : k == count ? " and " : ", ", qpm__cov_method_names[m]);
        if (w < 0)
            break;
        len += (size_t)w;
    }
    return qpm__fail(QPM_E_UNSUPPORTED, "QPM_COV_NAN_PAIRWISE serves %s only", list);
}

static qpm_status fit_rows(qpm_cov *c, size_t t, const double *x, size_t ld)
{
    const qpm__cov_method *m = &qpm__cov_methods[c->method];
    size_t n = c->n, kept = 0;
    int pairwise = c->nan_policy == QPM_COV_NAN_PAIRWISE;

    /* Phase 1: everything that can fail on the input or for memory, before
     * the state is touched, so that a failed fit leaves the handle as it
     * was. */
    if (pairwise && !(m->props & QPM__COV_PAIRWISE))
        return pairwise_unsupported();
    qpm_status st = scan_rows(c, t, x, ld, &kept);
    if (st != QPM_OK)
        return st;
    if (!pairwise) {
        if (kept < 2)
            return qpm__fail(QPM_E_SIZE, "%zu of t = %zu rows are free of NaN: need at least 2",
                             kept, t);
        if (m->enough_rows != NULL && (st = m->enough_rows(c, kept, QPM_E_SIZE)) != QPM_OK)
            return st;
    }
    if (pairwise && (st = qpm__cov_need_aux(c)) != QPM_OK)
        return st;
    if (!pairwise && m->prepare != NULL && (st = m->prepare(c)) != QPM_OK)
        return st;
    /* last of phase 1: nothing after it fails before the state changes */
    if (!pairwise && kept < t && (st = mark_dropped(c, t, x, ld)) != QPM_OK)
        return st;

    /* Phase 2: the state is rewritten from the first pass's mean. */
    c->est_ok = 0;
    c->have_mom = c->have_ew = 0;
    c->nobs = pairwise ? t : kept;
    c->shrink = 0.0;
    for (size_t j = 0; j < n; j++)
        c->mean[j] = c->tmp[j] / (pairwise ? c->tmp3[j] : (double)kept);

    /* Phase 3: the method's pass (or the pairwise one), then the estimate
     * from what it left. */
    if (pairwise) {
        st = pairwise_fit(c, t, x, ld);
        for (size_t j = 0; j < n; j++)
            c->mean[j] += c->tmp2[j] / c->tmp3[j];
        if (st == QPM_OK)
            st = qpm__cov_check_est(c);
        c->est_ok = st == QPM_OK;
        return st;
    }
    if ((st = m->fit(c, t, x, ld, kept)) != QPM_OK)
        return st;
    return qpm__cov_finalize(c);
}

qpm_status qpm__cov_fit_rows(qpm_cov *c, size_t t, const double *x, size_t ld)
{
    qpm_status st = fit_rows(c, t, x, ld);
    if (st == QPM_E_OVERFLOW) {
        /* moments beyond the double range serve no method: no estimate, no
         * stream state */
        c->est_ok = 0;
        c->have_mom = c->have_ew = 0;
    }
    return st;
}

qpm_status qpm_cov_fit(qpm_cov *c, size_t t, const double *returns, size_t ld)
{
    QPM__CHECK_NULL(c, "c");
    QPM__CHECK_NULL(returns, "returns");
    if (t < 2)
        return qpm__fail(QPM_E_SIZE, "t = %zu rows: need at least 2", t);
    if (ld < c->n)
        return qpm__fail(QPM_E_SIZE, "ld = %zu: must be >= n_assets = %zu", ld, c->n);
    return qpm__cov_fit_rows(c, t, returns, ld);
}
