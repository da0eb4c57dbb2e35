/* The raw SVI fit of one slice (qpm_surface_fit_slice, surface.h):
 * Zeliade's quasi-explicit reduction, an exact small constrained least
 * squares inside a 2-parameter Nelder-Mead, and the butterfly-free variant. */
#include <math.h>
#include <string.h>

#include "surface_internal.h"
#include "surface/svi_kern.h"

/* |rho| <= RMAX inside the fit: the domain wants |rho| < 1 strictly. */
#define RMAX (1.0 - 1e-9)
#define NCON 6
/* sigma <= SIGMA_SPAN x (the quotes' k range): beyond it SVI is a parabola
 * over the quotes whose wings (b at Lee's bound, a far below 0) say nothing
 * of the data, and break the arbitrage checks outside the quotes */
#define SIGMA_SPAN 1.0

typedef struct inner_sys {
    double A[3][3], r[3], c0;
} inner_sys;

/* Constraints G x >= h on x = (a, d, c) = (a, b rho sigma, b sigma) for one
 * sigma: |d| <= RMAX c (|rho| < 1, hence b >= 0), c + |d| <= 2 sigma (Lee:
 * b (1 + |rho|) <= 2), a + c - |d| >= 0 (sufficient for w >= 0: the minimum
 * a + sqrt(c^2 - d^2) is at least a + c - |d|). */
static void constraints(double s, double G[NCON][3], double h[NCON])
{
    static const double g[NCON][3] = {{0, -1, RMAX}, {0, 1, RMAX}, {0, -1, -1},
                                      {0, 1, -1},    {1, -1, 1},   {1, 1, 1}};
    memcpy(G, g, sizeof g);
    for (int i = 0; i < NCON; i++)
        h[i] = i == 2 || i == 3 ? -2.0 * s : 0.0;
}

/* Solves the (3 + k) KKT system by Gaussian elimination with partial
 * pivoting; 0 when singular. */
static int kkt_solve(const inner_sys *sys, double G[NCON][3], const double h[NCON], const int *act,
                     int k, double x[3], double *nu)
{
    double M[6][7];
    int n = 3 + k;
    memset(M, 0, sizeof M);
    for (int i = 0; i < 3; i++) {
        for (int j = 0; j < 3; j++)
            M[i][j] = sys->A[i][j];
        M[i][n] = sys->r[i];
    }
    for (int c = 0; c < k; c++) {
        for (int j = 0; j < 3; j++) {
            M[3 + c][j] = G[act[c]][j];
            M[j][3 + c] = G[act[c]][j];
        }
        M[3 + c][n] = h[act[c]];
    }
    double scale = fabs(M[0][0]) + fabs(M[1][1]) + fabs(M[2][2]) + 1.0;
    for (int col = 0; col < n; col++) {
        int piv = col;
        for (int i = col + 1; i < n; i++)
            if (fabs(M[i][col]) > fabs(M[piv][col]))
                piv = i;
        if (!(fabs(M[piv][col]) > 1e-15 * scale))
            return 0;
        if (piv != col)
            for (int j = 0; j <= n; j++) {
                double t = M[col][j];
                M[col][j] = M[piv][j];
                M[piv][j] = t;
            }
        for (int i = col + 1; i < n; i++) {
            double f = M[i][col] / M[col][col];
            for (int j = col; j <= n; j++)
                M[i][j] -= f * M[col][j];
        }
    }
    double sol[6];
    for (int i = n - 1; i >= 0; i--) {
        double v = M[i][n];
        for (int j = i + 1; j < n; j++)
            v -= M[i][j] * sol[j];
        sol[i] = v / M[i][i];
    }
    for (int i = 0; i < 3; i++)
        x[i] = sol[i];
    for (int c = 0; c < k; c++)
        nu[c] = sol[3 + c];
    return isfinite(x[0]) && isfinite(x[1]) && isfinite(x[2]);
}

/* The inverse of the symmetric A by its cofactors; 0 when singular */
static int inv3(const inner_sys *sys, double Ai[3][3])
{
    const double(*A)[3] = sys->A;
    double c00 = A[1][1] * A[2][2] - A[1][2] * A[2][1];
    double c01 = A[1][2] * A[2][0] - A[1][0] * A[2][2];
    double c02 = A[1][0] * A[2][1] - A[1][1] * A[2][0];
    double det = A[0][0] * c00 + A[0][1] * c01 + A[0][2] * c02;
    double scale = fabs(A[0][0]) * fabs(A[1][1]) * fabs(A[2][2]);
    if (!(fabs(det) > 1e-13 * scale))
        return 0;
    double id = 1.0 / det;
    Ai[0][0] = c00 * id;
    Ai[0][1] = Ai[1][0] = c01 * id;
    Ai[0][2] = Ai[2][0] = c02 * id;
    Ai[1][1] = (A[0][0] * A[2][2] - A[0][2] * A[2][0]) * id;
    Ai[1][2] = Ai[2][1] = (A[0][2] * A[1][0] - A[0][0] * A[1][2]) * id;
    Ai[2][2] = (A[0][0] * A[1][1] - A[0][1] * A[1][0]) * id;
    return 1;
}

/* The equality problem of an active set from the unconstrained minimiser
 * xu and A^-1 (k <= 3 constraints): A x + G^T nu = r, G x = h gives
 * (G A^-1 G^T) nu = G xu - h and x = xu - A^-1 G^T nu, a k x k system by
 * Cramer's rule instead of the (3 + k) elimination of kkt_solve; 0 when
 * that system is singular (kkt_solve then decides) */
static int kkt_fast(double Ai[3][3], const double xu[3], double G[NCON][3], const double h[NCON],
                    const int *act, int k, double x[3], double *nu)
{
    double AG[3][3], M[3][3], b[3];
    for (int c = 0; c < k; c++) {
        const double *g = G[act[c]];
        for (int i = 0; i < 3; i++)
            AG[c][i] = Ai[i][0] * g[0] + Ai[i][1] * g[1] + Ai[i][2] * g[2];
        b[c] = g[0] * xu[0] + g[1] * xu[1] + g[2] * xu[2] - h[act[c]];
    }
    for (int c = 0; c < k; c++)
        for (int e = 0; e < k; e++) {
            const double *g = G[act[c]];
            M[c][e] = g[0] * AG[e][0] + g[1] * AG[e][1] + g[2] * AG[e][2];
        }
    double scale = 0.0;
    for (int c = 0; c < k; c++)
        scale = fmax(scale, fabs(M[c][c]));
    if (k == 1) {
        if (!(M[0][0] > 1e-14 * scale) || !(scale > 0.0))
            return 0;
        nu[0] = b[0] / M[0][0];
    } else if (k == 2) {
        double det = M[0][0] * M[1][1] - M[0][1] * M[1][0];
        if (!(fabs(det) > 1e-12 * scale * scale))
            return 0;
        nu[0] = (b[0] * M[1][1] - M[0][1] * b[1]) / det;
        nu[1] = (M[0][0] * b[1] - b[0] * M[1][0]) / det;
    } else {
        double c0 = M[1][1] * M[2][2] - M[1][2] * M[2][1];
        double c1 = M[1][2] * M[2][0] - M[1][0] * M[2][2];
        double c2 = M[1][0] * M[2][1] - M[1][1] * M[2][0];
        double det = M[0][0] * c0 + M[0][1] * c1 + M[0][2] * c2;
        if (!(fabs(det) > 1e-10 * scale * scale * scale))
            return 0;
        double id = 1.0 / det;
        nu[0] = (b[0] * c0 + M[0][1] * (b[2] * M[1][2] - b[1] * M[2][2]) +
                 M[0][2] * (b[1] * M[2][1] - b[2] * M[1][1])) *
                id;
        nu[1] = (M[0][0] * (b[1] * M[2][2] - b[2] * M[1][2]) + b[0] * c1 +
                 M[0][2] * (b[2] * M[1][0] - b[1] * M[2][0])) *
                id;
        nu[2] = (M[0][0] * (M[1][1] * b[2] - M[2][1] * b[1]) +
                 M[0][1] * (M[2][0] * b[1] - M[1][0] * b[2]) + b[0] * c2) *
                id;
    }
    for (int i = 0; i < 3; i++) {
        x[i] = xu[i];
        for (int c = 0; c < k; c++)
            x[i] -= AG[c][i] * nu[c];
    }
    return isfinite(x[0]) && isfinite(x[1]) && isfinite(x[2]);
}

/* the unconstrained minimiser x = A^-1 r; 0 when A is singular */
static int solve3(double Ai[3][3], const inner_sys *sys, double x[3])
{
    if (!inv3(sys, Ai))
        return 0;
    for (int i = 0; i < 3; i++)
        x[i] = Ai[i][0] * sys->r[0] + Ai[i][1] * sys->r[1] + Ai[i][2] * sys->r[2];
    return isfinite(x[0]) && isfinite(x[1]) && isfinite(x[2]);
}

static double quad(const inner_sys *sys, const double x[3])
{
    double v = sys->c0;
    for (int i = 0; i < 3; i++) {
        v -= 2.0 * sys->r[i] * x[i];
        for (int j = 0; j < 3; j++)
            v += x[i] * sys->A[i][j] * x[j];
    }
    return v;
}

static int feasible(double G[NCON][3], const double h[NCON], const double x[3])
{
    double tol = 1e-13 * (1.0 + fabs(x[0]) + fabs(x[1]) + fabs(x[2]));
    for (int i = 0; i < NCON; i++)
        if (G[i][0] * x[0] + G[i][1] * x[1] + G[i][2] * x[2] < h[i] - tol)
            return 0;
    return 1;
}

/* The weighted cost of (a, d, c) at (m, s), summed from the residuals: the
 * expanded quadratic form loses the digits of a near-exact fit. */
#define YZ_CACHE 256

static double direct_cost(const qpm__smile *sm, double m, double s, const double x[3],
                          const double *yc, const double *zc)
{
    if (yc != NULL)
        return qpm__svi_kern_get()->cost_yz(sm->W, sm->w, yc, zc, sm->n, x);
    double v = 0.0, is = 1.0 / s;
    for (size_t i = 0; i < sm->n; i++) {
        double y = (sm->k[i] - m) * is, z = sqrt(y * y + 1.0);
        double e = sm->W[i] * (x[0] + x[1] * y + x[2] * z - sm->w[i]);
        v += e * e;
    }
    return v;
}

/* The best (a, d, c) for fixed (m, s), and its weighted cost.  A convex QP
 * with 3 unknowns: its minimiser solves the equality problem of its active
 * set, so the cheapest feasible solution over every active set of at most
 * 3 constraints is the minimiser.  The unconstrained one is tried first. */
static double inner(const qpm__smile *sm, double m, double s, double x[3])
{
    /* the sums over 1 and y = (k - m) / s come from the smile's moments;
     * only those over z = sqrt(y^2 + 1) need a pass over the quotes */
    inner_sys sys;
    double is = 1.0 / s, ycache[YZ_CACHE], zcache[YZ_CACHE];
    int keep = sm->n <= YZ_CACHE;
    const double *yc = keep ? ycache : NULL, *zc = keep ? zcache : NULL;
    double zs[3];
    qpm__svi_kern_get()->zsums(sm->k, sm->W2, sm->W2w, sm->n, m, is, keep ? ycache : NULL,
                               keep ? zcache : NULL, zs);
    double Z = zs[0], YZ = zs[1], WZ = zs[2];
    double A11 = (sm->S2 - 2.0 * m * sm->S1 + m * m * sm->S0) * is * is;
    sys.A[0][0] = sm->S0;
    sys.A[0][1] = sys.A[1][0] = (sm->S1 - m * sm->S0) * is;
    sys.A[0][2] = sys.A[2][0] = Z;
    sys.A[1][1] = A11;
    sys.A[1][2] = sys.A[2][1] = YZ;
    sys.A[2][2] = A11 + sm->S0;
    sys.r[0] = sm->Sw;
    sys.r[1] = (sm->Swk - m * sm->Sw) * is;
    sys.r[2] = WZ;
    sys.c0 = sm->Sww;
    double tr = sys.A[0][0] + sys.A[1][1] + sys.A[2][2];
    for (int p = 0; p < 3; p++)
        sys.A[p][p] += 1e-15 * tr;
    double G[NCON][3], h[NCON];
    constraints(s, G, h);
    double nu[3];
    double Ai[3][3], xu[3];
    int have_u = solve3(Ai, &sys, x);
    if (have_u && feasible(G, h, x))
        return direct_cost(sm, m, s, x, yc, zc);
    if (have_u)
        memcpy(xu, x, sizeof xu);
    /* active sets by size: a feasible solution whose multipliers all have
     * the right sign (nu <= 0 here, nu = -mu/2) satisfies the KKT
     * conditions and is the minimiser; otherwise the cheapest feasible one */
    int sets[41][3], sizes[41], ns = 0;
    for (int i = 0; i < NCON; i++) {
        sets[ns][0] = i;
        sizes[ns++] = 1;
    }
    for (int i = 0; i < NCON; i++)
        for (int j = i + 1; j < NCON; j++) {
            sets[ns][0] = i;
            sets[ns][1] = j;
            sizes[ns++] = 2;
        }
    for (int i = 0; i < NCON; i++)
        for (int j = i + 1; j < NCON; j++)
            for (int l = j + 1; l < NCON; l++) {
                sets[ns][0] = i;
                sets[ns][1] = j;
                sets[ns][2] = l;
                sizes[ns++] = 3;
            }
    double best = HUGE_VAL, cand[3];
    for (int t = 0; t < ns; t++) {
        int ok = have_u && kkt_fast(Ai, xu, G, h, sets[t], sizes[t], cand, nu);
        if (!ok)
            ok = kkt_solve(&sys, G, h, sets[t], sizes[t], cand, nu);
        if (!ok || !feasible(G, h, cand))
            continue;
        double v = quad(&sys, cand);
        int kkt = 1;
        for (int c = 0; c < sizes[t]; c++)
            kkt &= nu[c] <= 0.0;
        if (kkt) {
            memcpy(x, cand, sizeof cand);
            return direct_cost(sm, m, s, x, yc, zc);
        }
        if (v < best) {
            best = v;
            memcpy(x, cand, sizeof cand);
        }
    }
    return isfinite(best) ? direct_cost(sm, m, s, x, yc, zc) : HUGE_VAL;
}

/* The SVI parameters of (a, d, c) at (m, s), nudged into the strict domain
 * (the nudges are rounding-sized). */
static void to_svi(const double x[3], double m, double s, qpm_svi *p)
{
    double c = x[2] > 0.0 ? x[2] : 0.0;
    p->m = m;
    p->sigma = s;
    p->b = c / s;
    p->rho = c > 0.0 ? x[1] / c : 0.0;
    if (p->rho > RMAX)
        p->rho = RMAX;
    if (p->rho < -RMAX)
        p->rho = -RMAX;
    if (p->b * (1.0 + fabs(p->rho)) > 2.0)
        p->b = 2.0 / (1.0 + fabs(p->rho));
    p->a = x[0];
    double wmin = p->a + p->b * s * sqrt(1.0 - p->rho * p->rho);
    if (wmin < 0.0)
        p->a -= wmin;
}

typedef struct outer_ctx {
    const qpm__smile *sm;
    double mlo, mhi, lslo, lshi;
} outer_ctx;

static double outer_f(void *vctx, const double *x)
{
    const outer_ctx *c = vctx;
    if (!(x[0] >= c->mlo && x[0] <= c->mhi && x[1] >= c->lslo && x[1] <= c->lshi))
        return HUGE_VAL;
    double abc[3];
    return inner(c->sm, x[0], exp(x[1]), abc);
}

/* weighted cost of a full parameter set */
static double cost(const qpm__smile *sm, const qpm_svi *p)
{
    double v = 0.0;
    for (size_t i = 0; i < sm->n; i++) {
        double e = sm->W[i] * (qpm__svi_w(p, sm->k[i]) - sm->w[i]);
        v += e * e;
    }
    return v;
}

static int svi_valid(const qpm_svi *p)
{
    return isfinite(p->a) && isfinite(p->b) && isfinite(p->rho) && isfinite(p->m) &&
           isfinite(p->sigma) && p->b >= 0.0 && fabs(p->rho) < 1.0 && p->sigma > 0.0 &&
           p->a + p->b * p->sigma * sqrt(1.0 - p->rho * p->rho) >= 0.0 &&
           p->b * (1.0 + fabs(p->rho)) <= 2.0;
}

static int passes(const qpm_svi *p, double kmax_abs)
{
    double wk, wg;
    return qpm__svi_butterfly(p, qpm__svi_check_limit(p, kmax_abs), QPM_SURFACE_CHECK_POINTS, &wk,
                              &wg);
}

/* ---- SSVI-shaped slice: free of butterfly arbitrage by construction ---- */
typedef struct ssvi1_ctx {
    const qpm__smile *sm;
} ssvi1_ctx;

static int ssvi1_params(const double *x, qpm_svi *p)
{
    double theta = exp(x[0]), phi = exp(x[1]), rho = x[2];
    if (!(fabs(rho) < RMAX))
        return 0;
    double q = 1.0 + fabs(rho);
    if (!(theta * phi * q <= 4.0 * (1.0 - 1e-9) && theta * phi * phi * q <= 4.0))
        return 0;
    p->a = 0.5 * theta * (1.0 - rho * rho);
    p->b = 0.5 * theta * phi;
    p->rho = rho;
    p->m = -rho / phi;
    p->sigma = sqrt(1.0 - rho * rho) / phi;
    return svi_valid(p);
}

static double ssvi1_f(void *vctx, const double *x)
{
    const ssvi1_ctx *c = vctx;
    qpm_svi p;
    if (!ssvi1_params(x, &p))
        return HUGE_VAL;
    return cost(c->sm, &p);
}

/* ---- five parameters under the butterfly check --------------------------- */
typedef struct full_ctx {
    const qpm__smile *sm;
} full_ctx;

static void full_params(const double *x, qpm_svi *p)
{
    p->a = x[0];
    p->b = exp(x[1]);
    p->rho = tanh(x[2]);
    p->m = x[3];
    p->sigma = exp(x[4]);
}

static double full_f(void *vctx, const double *x)
{
    const full_ctx *c = vctx;
    qpm_svi p;
    full_params(x, &p);
    if (!svi_valid(&p) || !passes(&p, c->sm->kmax_abs))
        return HUGE_VAL;
    return cost(c->sm, &p);
}

/* ---- polish: Levenberg-Marquardt on the five parameters in the full
 * domain (the inner problem keeps a >= |d| - c, a little tighter than
 * w >= 0) ------------------------------------------------------------- */
static int solve5(double M[5][6])
{
    for (int col = 0; col < 5; col++) {
        int piv = col;
        for (int i = col + 1; i < 5; i++)
            if (fabs(M[i][col]) > fabs(M[piv][col]))
                piv = i;
        if (!(fabs(M[piv][col]) > 0.0))
            return 0;
        if (piv != col)
            for (int j = 0; j < 6; j++) {
                double t = M[col][j];
                M[col][j] = M[piv][j];
                M[piv][j] = t;
            }
        for (int i = col + 1; i < 5; i++) {
            double f = M[i][col] / M[col][col];
            for (int j = col; j < 6; j++)
                M[i][j] -= f * M[col][j];
        }
    }
    for (int i = 4; i >= 0; i--) {
        double v = M[i][5];
        for (int j = i + 1; j < 5; j++)
            v -= M[i][j] * M[j][5];
        M[i][5] = v / M[i][i];
        if (!isfinite(M[i][5]))
            return 0;
    }
    return 1;
}

static size_t polish(const qpm__smile *sm, double mlo, double mhi, double smax, qpm_svi *p)
{
    double c0 = cost(sm, p), lambda = 1e-3;
    size_t it = 0;
    for (; it < 100; it++) {
        double JJ[5][5] = {{0}}, Je[5] = {0};
        for (size_t i = 0; i < sm->n; i++) {
            double x = sm->k[i] - p->m, r = sqrt(x * x + p->sigma * p->sigma);
            double e = sm->W[i] * (p->a + p->b * (p->rho * x + r) - sm->w[i]);
            double J[5] = {1.0, p->rho * x + r, p->b * x, -p->b * (p->rho + x / r),
                           p->b * p->sigma / r};
            for (int u = 0; u < 5; u++) {
                J[u] *= sm->W[i];
                Je[u] += J[u] * e;
            }
            for (int u = 0; u < 5; u++)
                for (int v = 0; v < 5; v++)
                    JJ[u][v] += J[u] * J[v];
        }
        int accepted = 0;
        for (int tries = 0; tries < 12 && !accepted; tries++) {
            double M[5][6];
            for (int u = 0; u < 5; u++) {
                for (int v = 0; v < 5; v++)
                    M[u][v] = JJ[u][v] + (u == v ? lambda * (JJ[u][u] + 1e-300) : 0.0);
                M[u][5] = -Je[u];
            }
            if (solve5(M)) {
                qpm_svi t = {p->a + M[0][5], p->b + M[1][5], p->rho + M[2][5], p->m + M[3][5],
                             p->sigma + M[4][5]};
                double c1 = svi_valid(&t) && t.sigma <= smax && t.m >= mlo && t.m <= mhi
                                ? cost(sm, &t)
                                : HUGE_VAL;
                if (c1 < c0) {
                    double rel = (c0 - c1) / c0;
                    *p = t;
                    c0 = c1;
                    lambda = fmax(lambda / 3.0, 1e-12);
                    accepted = 1;
                    if (rel < 1e-14 || c0 == 0.0)
                        return it + 1;
                    break;
                }
            }
            lambda *= 4.0;
        }
        if (!accepted)
            break;
    }
    return it;
}

/* ---- five parameters with a penalty on g < 0 (a coarse grid) ------------- */
typedef struct pen_ctx {
    const qpm__smile *sm;
    double scale, mu;
} pen_ctx;

static double pen_f(void *vctx, const double *x)
{
    const pen_ctx *c = vctx;
    qpm_svi p;
    full_params(x, &p);
    if (!svi_valid(&p))
        return HUGE_VAL;
    double L = qpm__svi_check_limit(&p, c->sm->kmax_abs), pen = 0.0;
    const int np = 1001;
    for (int j = 0; j < np; j++) {
        double g = qpm__svi_g(&p, -L + 2.0 * L * (double)j / (np - 1)) - 1e-4;
        if (g < 0.0)
            pen += g * g;
    }
    return cost(c->sm, &p) / c->scale + c->mu * pen / np;
}

void qpm__svi_fit(const qpm__smile *sm, unsigned flags, qpm_svi *p, qpm_svi_report *rep)
{
    double klo = sm->k[0], khi = sm->k[sm->n - 1];
    double span = fmax(khi - klo, 1e-4);
    outer_ctx oc = {sm, klo - 2.0 * span, khi + 2.0 * span, log(1e-5), log(SIGMA_SPAN * span)};
    /* a grid over (m, ln s) picks the basin, Nelder-Mead refines it */
    double best = HUGE_VAL, x[2] = {0.5 * (klo + khi), log(0.1 * span)};
    double slo = log(fmax(1e-3, 0.02 * span)), shi = oc.lshi;
    for (int i = 0; i < 7; i++)
        for (int j = 0; j < 5; j++) {
            double xt[2] = {klo + span * (double)i / 6.0, slo + (shi - slo) * (double)j / 4.0};
            double v = outer_f(&oc, xt);
            if (v < best) {
                best = v;
                x[0] = xt[0];
                x[1] = xt[1];
            }
        }
    double fb;
    int conv;
    double step1[2] = {0.1 * span, 0.5};
    /* to 1e-7: the polish below converges quadratically from there */
    size_t iters = qpm__nelder_mead(outer_f, &oc, 2, x, step1, 1e-7, 1e-10, 2000, &fb, &conv);
    /* inner() leaves abc as it was when no candidate is finite (quotes the
     * linear form cannot fit at this (m, s)): a flat slice at the quotes'
     * mean total variance then starts the polish */
    double wbar = 0.0;
    for (size_t i = 0; i < sm->n; i++)
        wbar += sm->w[i] / (double)sm->n;
    double abc[3] = {wbar, 0.0, 0.0};
    inner(sm, x[0], exp(x[1]), abc);
    to_svi(abc, x[0], exp(x[1]), p);
    iters += polish(sm, oc.mlo, oc.mhi, exp(oc.lshi), p);

    rep->no_butterfly = (flags & QPM_SVI_NO_BUTTERFLY) != 0;
    if (rep->no_butterfly && !passes(p, sm->kmax_abs)) {
        /* start from the best SSVI-shaped slice (Gatheral-Jacquier: free of
         * butterfly arbitrage), then improve on all five parameters without
         * ever leaving the set that passes the check */
        ssvi1_ctx sc = {sm};
        double w0 = qpm__svi_w(p, 0.0);
        if (!(w0 > 0.0)) {
            w0 = sm->w[0];
            for (size_t i = 1; i < sm->n; i++)
                w0 = fmin(w0, sm->w[i]);
        }
        double rho0 = fmax(fmin(p->rho, 0.9), -0.9), q = 1.0 + fabs(rho0);
        double phi0 = p->b > 0.0 ? 2.0 * p->b / w0 : 1.0 / sqrt(w0);
        phi0 = fmin(phi0, 0.9 * 4.0 / (w0 * q));
        phi0 = fmin(phi0, 0.9 * sqrt(4.0 / (w0 * q)));
        double xs[3] = {log(w0), log(phi0), rho0}, steps[3] = {0.2, 0.3, 0.2};
        iters += qpm__nelder_mead(ssvi1_f, &sc, 3, xs, steps, 1e-10, 1e-12, 3000, &fb, &conv);
        /* the SSVI-shaped start, or (when neither point is a valid SSVI
         * slice: quotes at the edge of the domain) the unconstrained fit,
         * which fails the check and leaves the penalised start below */
        qpm_svi ps = *p;
        if (!ssvi1_params(xs, &ps) && !ssvi1_params((double[3]){log(w0), log(phi0), rho0}, &ps))
            ps = *p;
        /* a second start: the unconstrained fit pushed out of arbitrage by a
         * growing penalty */
        pen_ctx pc = {sm, 0.0, 1.0};
        for (size_t i = 0; i < sm->n; i++)
            pc.scale += sm->W[i] * sm->W[i] * sm->w[i] * sm->w[i];
        double xp[5] = {p->a, log(fmax(p->b, 1e-12)), atanh(p->rho), p->m, log(p->sigma)};
        qpm_svi pp;
        int pen_ok = 0;
        for (int stage = 0; stage < 5 && !pen_ok; stage++) {
            double stepp[5] = {0.1 * fabs(xp[0]) + 1e-4, 0.1, 0.1, 0.05 * span, 0.1};
            iters += qpm__nelder_mead(pen_f, &pc, 5, xp, stepp, 1e-9, 1e-12, 2000, &fb, &conv);
            full_params(xp, &pp);
            pen_ok = svi_valid(&pp) && passes(&pp, sm->kmax_abs);
            pc.mu *= 100.0;
        }
        if (pen_ok && (!passes(&ps, sm->kmax_abs) || cost(sm, &pp) < cost(sm, &ps)))
            ps = pp;
        if (passes(&ps, sm->kmax_abs)) {
            full_ctx fc = {sm};
            double xf[5] = {ps.a, log(ps.b), atanh(ps.rho), ps.m, log(ps.sigma)};
            double stepf[5] = {0.1 * fabs(ps.a) + 1e-4, 0.1, 0.1, 0.05 * span, 0.1};
            iters += qpm__nelder_mead(full_f, &fc, 5, xf, stepf, 1e-9, 1e-12, 3000, &fb, &conv);
            full_params(xf, p);
            if (!(isfinite(fb) && svi_valid(p) && passes(p, sm->kmax_abs))) {
                *p = ps;
                conv = 0;
            }
        } else {
            *p = ps;
            conv = 0;
        }
    }
    rep->iterations = iters;
    rep->converged = conv;
    rep->n_quotes = sm->n;
    if (flags & QPM__SVI_FIT_BARE)
        return;
    qpm__smile_errors(sm, p, &rep->rmse_volpts, &rep->max_err_volpts);
    rep->k_limit = qpm__svi_check_limit(p, sm->kmax_abs);
    rep->butterfly_ok =
        qpm__svi_butterfly(p, rep->k_limit, QPM_SURFACE_CHECK_POINTS, &rep->worst_k, &rep->worst_g);
}
