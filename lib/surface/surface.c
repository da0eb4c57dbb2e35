/* The surface handle: slices sorted by expiry, set from parameters or
 * fitted, and the vol / total-variance queries (include/qpm/surface.h). */
#include <math.h>
#include <stddef.h>
#include <string.h>

#include "surface_internal.h"

_Static_assert(offsetof(struct qpm_surface, alloc) == 0, "qpm__handle_new: allocator first");

qpm_status qpm_surface_create(qpm_surface **out, const qpm_alloc *alloc)
{
    QPM__CHECK_OUT(out);
    qpm_status st;
    qpm_surface *s = qpm__handle_new(alloc, sizeof *s, NULL, NULL, &st);
    if (s == NULL)
        return st;
    *out = s;
    return QPM_OK;
}

void qpm_surface_free(qpm_surface *s)
{
    if (s == NULL)
        return;
    qpm_alloc a = s->alloc;
    qpm__free(&a, s->sl);
    qpm__free(&a, s);
}

size_t qpm_surface_n_slices(const qpm_surface *s)
{
    return s == NULL ? 0 : s->n;
}

qpm_status qpm__surface_reserve(qpm_surface *s, size_t extra)
{
    if (s->n + extra <= s->cap)
        return QPM_OK;
    size_t cap = s->cap < 4 ? 4 : s->cap;
    while (cap < s->n + extra)
        cap *= 2;
    qpm__slice *sl = qpm__calloc(&s->alloc, cap, sizeof *sl);
    if (sl == NULL)
        return QPM_E_NOMEM;
    if (s->n > 0)
        memcpy(sl, s->sl, s->n * sizeof *sl);
    qpm__free(&s->alloc, s->sl);
    s->sl = sl;
    s->cap = cap;
    return QPM_OK;
}

qpm_status qpm__surface_put(qpm_surface *s, const qpm__slice *slice)
{
    size_t i = 0;
    while (i < s->n && s->sl[i].T < slice->T)
        i++;
    if (i < s->n && s->sl[i].T == slice->T) {
        s->sl[i] = *slice;
        return QPM_OK;
    }
    qpm_status st = qpm__surface_reserve(s, 1);
    if (st != QPM_OK)
        return st;
    memmove(s->sl + i + 1, s->sl + i, (s->n - i) * sizeof *s->sl);
    s->sl[i] = *slice;
    s->n++;
    return QPM_OK;
}

static qpm_status check_TF(double T, double F)
{
    if (!isfinite(T))
        return qpm__fail(QPM_E_NONFINITE, "T = %g: must be finite", T);
    if (!isfinite(F))
        return qpm__fail(QPM_E_NONFINITE, "F = %g: must be finite", F);
    if (!(T > 0.0))
        return qpm__fail(QPM_E_INVALID, "T = %g: must be > 0", T);
    if (!(T <= QPM__SURFACE_TMAX))
        return qpm__fail(QPM_E_INVALID, "T = %g: must be <= %g (years)", T, QPM__SURFACE_TMAX);
    if (!(F > 0.0))
        return qpm__fail(QPM_E_INVALID, "F = %g: must be > 0", F);
    return QPM_OK;
}

static qpm_status check_rep_size(const qpm_svi_report *rep, size_t want, const char *type)
{
    if (rep != NULL && rep->size < want)
        return qpm__fail(QPM_E_INVALID, "rep->size = %zu: must be sizeof(%s) = %zu", rep->size,
                         type, want);
    return QPM_OK;
}

static void slice_init(qpm__slice *sl, double T, double F, const qpm_svi *p)
{
    memset(sl, 0, sizeof *sl);
    sl->T = T;
    sl->F = F;
    sl->lnF = log(F);
    sl->p = *p;
    sl->s2 = p->sigma * p->sigma;
    sl->rep.size = sizeof sl->rep;
}

qpm_status qpm_surface_set_slice(qpm_surface *s, double T, double F, const qpm_svi *p)
{
    QPM__CHECK_NULL(s, "s");
    qpm_status st = check_TF(T, F);
    if (st == QPM_OK)
        st = qpm__svi_check(p, "p");
    if (st != QPM_OK)
        return st;
    qpm__slice sl;
    slice_init(&sl, T, F, p);
    sl.rep.k_limit = qpm__svi_check_limit(p, 0.0);
    sl.rep.butterfly_ok = qpm__svi_butterfly(p, sl.rep.k_limit, QPM_SURFACE_CHECK_POINTS,
                                             &sl.rep.worst_k, &sl.rep.worst_g);
    sl.rep.converged = 1;
    return qpm__surface_put(s, &sl);
}

static void copy_report(qpm_svi_report *dst, const qpm_svi_report *src)
{
    size_t size = dst->size;
    memcpy(dst, src, sizeof *src);
    dst->size = size;
}

qpm_status qpm_surface_fit_slice(qpm_surface *s, double T, double F, const qpm_smile_quotes *q,
                                 unsigned flags, qpm_svi_report *rep)
{
    QPM__CHECK_NULL(s, "s");
    qpm_status st = check_TF(T, F);
    if (st == QPM_OK)
        st = check_rep_size(rep, sizeof(qpm_svi_report), "qpm_svi_report");
    if (st == QPM_OK && (flags & ~(unsigned)QPM_SVI_NO_BUTTERFLY) != 0)
        st = qpm__fail(QPM_E_INVALID, "flags = %u: unknown bits (QPM_SVI_NO_BUTTERFLY = 1)", flags);
    if (st != QPM_OK)
        return st;
    qpm__smile sm;
    st = qpm__smile_prepare(&s->alloc, T, F, q, "q", &sm);
    if (st != QPM_OK)
        return st;
    /* room first, so that the fit's result cannot be lost to an allocation */
    st = qpm__surface_reserve(s, 1);
    if (st != QPM_OK) {
        qpm__smile_free(&s->alloc, &sm);
        return st;
    }
    qpm_svi p;
    qpm__slice sl;
    memset(&p, 0, sizeof p);
    slice_init(&sl, T, F, &p);
    qpm__svi_fit(&sm, flags, &p, &sl.rep);
    qpm__smile_free(&s->alloc, &sm);
    if ((flags & QPM_SVI_NO_BUTTERFLY) && !sl.rep.butterfly_ok)
        /* neither start passed the check (quotes far from any arbitrage-
         * free smile, or at the edge of the domain): the promise of the
         * flag cannot be kept */
        return qpm__fail(QPM_E_NOCONVERGE,
                         "T = %g: no slice free of butterfly arbitrage was found for these "
                         "quotes (g = %g at k = %g); nothing added",
                         T, sl.rep.worst_g, sl.rep.worst_k);
    if (!(sl.rep.max_err_volpts <= QPM__FIT_MAXERR_VOLPTS))
        return qpm__fail(QPM_E_NOCONVERGE,
                         "T = %g: the fit diverged (largest vol error %g vol points); nothing "
                         "added",
                         T, sl.rep.max_err_volpts);
    sl.p = p;
    sl.s2 = p.sigma * p.sigma;
    st = qpm__surface_put(s, &sl);
    if (st == QPM_OK && rep != NULL)
        copy_report(rep, &sl.rep);
    return st;
}

qpm_status qpm_surface_slice(const qpm_surface *s, size_t i, double *T, double *F, qpm_svi *p,
                             qpm_svi_report *rep)
{
    QPM__CHECK_NULL(s, "s");
    if (i >= s->n)
        return qpm__fail(QPM_E_INVALID, "i = %zu: must be < the number of slices, %zu", i, s->n);
    qpm_status st = check_rep_size(rep, sizeof(qpm_svi_report), "qpm_svi_report");
    if (st != QPM_OK)
        return st;
    const qpm__slice *sl = &s->sl[i];
    if (T != NULL)
        *T = sl->T;
    if (F != NULL)
        *F = sl->F;
    if (p != NULL)
        *p = sl->p;
    if (rep != NULL)
        copy_report(rep, &sl->rep);
    return QPM_OK;
}

/* ---- evaluation ------------------------------------------------------------ */

static inline double slice_w(const qpm__slice *sl, double k)
{
    double x = k - sl->p.m;
    return sl->p.a + sl->p.b * (sl->p.rho * x + sqrt(x * x + sl->s2));
}

/* the last slice with T_i <= T, or SIZE_MAX (as n) when T < T_0 */
static inline size_t find(const qpm_surface *s, double T)
{
    size_t lo = 0, hi = s->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (s->sl[mid].T <= T)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo; /* slices [0, lo) have T_i <= T */
}

double qpm__surface_total_variance(const qpm_surface *s, double T, double k)
{
    size_t j = find(s, T);
    if (j == 0)
        return slice_w(&s->sl[0], k) * (T / s->sl[0].T);
    const qpm__slice *a = &s->sl[j - 1];
    if (j == s->n)
        return a->T == T ? slice_w(a, k) : slice_w(a, k) * (T / a->T);
    const qpm__slice *b = &s->sl[j];
    double wa = slice_w(a, k);
    if (a->T == T)
        return wa;
    double u = (T - a->T) / (b->T - a->T);
    return wa + u * (slice_w(b, k) - wa);
}

static void slice_form(const qpm__slice *sl, double *c)
{
    c[0] = sl->p.a, c[1] = sl->p.b, c[2] = sl->p.rho, c[3] = sl->p.m, c[4] = sl->s2;
}

/* the cases of qpm__surface_total_variance, as one formula */
void qpm__surface_w_form(const qpm_surface *s, double T, double c[12])
{
    size_t j = find(s, T);
    const qpm__slice *a = j == 0 ? &s->sl[0] : &s->sl[j - 1];
    const qpm__slice *b = j == 0 || j == s->n ? a : &s->sl[j];
    slice_form(a, c);
    slice_form(b, c + 5);
    c[10] = 0.0, c[11] = 1.0;
    if (j == 0)
        c[11] = T / s->sl[0].T;
    else if (j == s->n)
        c[11] = a->T == T ? 1.0 : T / a->T;
    else if (a->T != T)
        c[10] = (T - a->T) / (b->T - a->T);
}

double qpm__surface_forward(const qpm_surface *s, double T)
{
    size_t j = find(s, T);
    if (j == 0)
        return s->sl[0].F;
    const qpm__slice *a = &s->sl[j - 1];
    if (j == s->n || a->T == T)
        return a->F;
    const qpm__slice *b = &s->sl[j];
    double u = (T - a->T) / (b->T - a->T);
    return exp(a->lnF + u * (b->lnF - a->lnF));
}

qpm_status qpm__surface_copy(const qpm_surface *s, const qpm_alloc *alloc, qpm_surface **out)
{
    QPM__CHECK_OUT(out);
    QPM__CHECK_NULL(s, "s");
    qpm_surface *c = NULL;
    qpm_status st = qpm_surface_create(&c, alloc);
    if (st != QPM_OK)
        return st;
    if (s->n > 0) {
        st = qpm__surface_reserve(c, s->n);
        if (st != QPM_OK) {
            qpm_surface_free(c);
            return st;
        }
        memcpy(c->sl, s->sl, s->n * sizeof *s->sl);
        c->n = s->n;
    }
    *out = c;
    return QPM_OK;
}

/* the shared checks of the queries; x is K (strike) or k */
static qpm_status query_check(const qpm_surface *s, size_t n, const double *T, const double *x,
                              const char *xname, int strike, const void *out, const char *oname)
{
    QPM__CHECK_NULL(s, "s");
    QPM__CHECK_NULL(T, "T");
    if (xname != NULL) /* the forward query has no x */
        QPM__CHECK_NULL(x, xname);
    QPM__CHECK_NULL(out, oname);
    if (n == 0)
        return qpm__fail(QPM_E_SIZE, "n = 0: must be >= 1");
    if (s->n == 0)
        return qpm__fail(QPM_E_SIZE, "the surface has no slice: set or fit one first");
    qpm_status st = qpm__check_positive(T, n, "T");
    if (st == QPM_OK && xname != NULL)
        st = strike ? qpm__check_positive(x, n, xname) : qpm__check_finite(x, n, xname);
    return st;
}

qpm_status qpm_surface_forward(const qpm_surface *s, size_t n, const double *T, double *F)
{
    qpm_status st = query_check(s, n, T, NULL, NULL, 1, F, "F");
    if (st != QPM_OK)
        return st;
    for (size_t i = 0; i < n; i++)
        F[i] = qpm__surface_forward(s, T[i]);
    return QPM_OK;
}

static qpm_status query(const qpm_surface *s, size_t n, const double *T, const double *x,
                        int strike, int vol, double *out)
{
    qpm_status st = query_check(s, n, T, x, strike ? "K" : "k", strike, out, vol ? "vol" : "w");
    if (st != QPM_OK)
        return st;
    for (size_t i = 0; i < n; i++) {
        double k = strike ? log(x[i] / qpm__surface_forward(s, T[i])) : x[i];
        double w = qpm__surface_total_variance(s, T[i], k);
        double y = vol ? sqrt(fmax(w, 0.0) / T[i]) : w;
        /* an extreme strike (K / F beyond the double range) or an expiry
         * far past the last slice (w T / T_n) */
        if (!isfinite(y))
            return qpm__fail(QPM_E_OVERFLOW,
                             "point %zu: T = %g, %s = %g: the %s is beyond the range of double "
                             "(the points before it are written)",
                             i, T[i], strike ? "K" : "k", x[i], vol ? "vol" : "total variance");
        out[i] = y;
    }
    return QPM_OK;
}

qpm_status qpm_surface_total_variance(const qpm_surface *s, size_t n, const double *T,
                                      const double *K, double *w)
{
    return query(s, n, T, K, 1, 0, w);
}

qpm_status qpm_surface_vol(const qpm_surface *s, size_t n, const double *T, const double *K,
                           double *vol)
{
    return query(s, n, T, K, 1, 1, vol);
}

qpm_status qpm_surface_total_variance_k(const qpm_surface *s, size_t n, const double *T,
                                        const double *k, double *w)
{
    return query(s, n, T, k, 0, 0, w);
}

qpm_status qpm_surface_vol_k(const qpm_surface *s, size_t n, const double *T, const double *k,
                             double *vol)
{
    return query(s, n, T, k, 0, 1, vol);
}
