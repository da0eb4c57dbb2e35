/* Fast revaluation from P&L grids (QPM_RISK_REVALUATION = grid).
 *
 * A book's scenario P&L is a sum over its underlyings: every position,
 * collateral holding and funding stream belongs to one underlying, and a
 * scenario moves each underlying's prices by its own factor (1 + x_u) and
 * its option vols by (1 + v_u).  So the P&L of a scenario is
 *     sum_u f_u(x_u, v_u),   f_u = qpm_book_scenario_grid of u alone,
 * less (n - 1) times the P&L c0 of the scenario that moves nothing (the
 * funding of every underlying's perpetuals over the horizon, which each f_u
 * holds), and f_u is smooth where the book's options are.  Per underlying, f_u is
 * tabulated on a uniform grid over the moves the run meets and read back
 * by cubic Lagrange interpolation (four nodes per dimension around the
 * point, error O(h^4)).  Without vol moves the grid is over the log move
 * y = log(1 + x), which the Monte Carlo draws (so its scenarios need no
 * exp), with each interval's cubic stored as four coefficients
 * (risk_grid.h); with vol moves it is over (x, v).
 *
 * The Monte Carlo revalues each pass of scenarios from the grids as it
 * draws them (qpm__risk_grid_pass, in the workers); the scenarios that
 * fall outside a grid are marked and revalued here after the batch
 * (pending mode), with the grids extended first.  Its first batch (one
 * block, with no grid yet) is all pending.
 *
 * Error control: a grid of spacing h is built by computing f_u exactly on
 * the grid of spacing h/2 (which holds it), and the cubic interpolant of the
 * coarse grid is compared with the exact values at every point of the fine
 * grid it does not hold.  When the largest difference is above the
 * tolerance (QPM_RISK_GRID_TOL times the largest |f_u| on the grid, or 1e-12
 * USD), h is halved and the fine grid becomes the next coarse one.  The
 * run then interpolates on the FINE grid, whose error is about 16 times
 * smaller than the coarse grid's measured one: that measured difference is
 * the bound reported (qpm_risk_grid_error, summed over the underlyings).
 *
 * Ranges: before each batch is revalued, each underlying's grid is checked
 * against the batch's smallest and largest moves and, when they fall
 * outside, built again over the union widened by a quarter of its span, so
 * that no scenario is extrapolated. */
#include <float.h>
#include <math.h>
#include <string.h>

#include "risk_grid.h"
#include "risk_internal.h"

#define MAX_LEVEL 13 /* at most 2^13 + 1 nodes per dimension */

typedef struct grid1 {
    double x0, hx, v0, hv, rhx;
    size_t mx, mv;             /* nodes; mv = 1 without vol moves */
    double *f;                 /* spot and vol: mx x mv values, row-major in x */
    double *c;                 /* spot only: 4 coefficients per node (risk_grid.h) */
    double err;                /* measured bound (coarse grid vs exact) */
    double xlo, xhi, vlo, vhi; /* covered range */
    int built;
} grid1;

static inline double interp(const double *f, size_t mx, size_t mv, double x0, double hx, double v0,
                            double hv, double x, double v)
{
    double tx, wx[4];
    size_t i = qpm__grid_locate(x, x0, 1.0 / hx, mx, &tx);
    qpm__lagrange4(tx, wx);
    if (mv == 1)
        return wx[0] * f[i - 1] + wx[1] * f[i] + wx[2] * f[i + 1] + wx[3] * f[i + 2];
    double tv, wv[4];
    size_t j = qpm__grid_locate(v, v0, 1.0 / hv, mv, &tv);
    qpm__lagrange4(tv, wv);
    double s = 0.0;
    for (int a = 0; a < 4; a++) {
        const double *row = f + (i - 1 + (size_t)a) * mv + (j - 1);
        s += wx[a] * (wv[0] * row[0] + wv[1] * row[1] + wv[2] * row[2] + wv[3] * row[3]);
    }
    return s;
}

struct qpm__risk_grid {
    size_t n;
    double c0; /* P&L of the scenario that moves nothing; NaN until known */
    grid1 *g;
    double *xs, *vs, *tmp; /* scratch: nodes of one fine grid, its values */
    size_t cap;            /* capacity of tmp (values) */
    double *odd;           /* scratch: a level's new nodes (ocap values) */
    size_t ocap;
    double *ybuf; /* scratch: a batch's log moves (ycap values) */
    size_t ycap;
    size_t *rows; /* scratch: the rows a batch revalues (rcap) */
    size_t rcap;
    qpm__grid_view *views; /* n */
    double *pass;          /* 2 n QPM__RISK_PASS: a pass's log moves, and rows */
};

void qpm__risk_grid_free(const qpm_alloc *a, qpm__risk_grid *G)
{
    if (G == NULL)
        return;
    for (size_t u = 0; u < G->n; u++) {
        qpm__free(a, G->g[u].f);
        qpm__afree(a, G->g[u].c);
    }
    qpm__free(a, G->g);
    qpm__free(a, G->xs);
    qpm__free(a, G->vs);
    qpm__free(a, G->tmp);
    qpm__free(a, G->odd);
    qpm__free(a, G->ybuf);
    qpm__free(a, G->views);
    qpm__free(a, G->pass);
    qpm__free(a, G->rows);
    qpm__free(a, G);
}

qpm_status qpm__risk_grid_new(const qpm_alloc *a, size_t n, qpm__risk_grid **out)
{
    qpm__risk_grid *G = qpm__calloc(a, 1, sizeof *G);
    size_t m = ((size_t)1 << MAX_LEVEL) + 1;
    if (G != NULL) {
        G->n = n;
        G->c0 = (double)NAN;
        G->g = qpm__calloc(a, n, sizeof *G->g);
        G->xs = qpm__calloc(a, m, sizeof(double));
        G->vs = qpm__calloc(a, m, sizeof(double));
        G->views = qpm__calloc(a, n, sizeof *G->views);
        G->pass = qpm__calloc(a, 2 * n * QPM__RISK_PASS, sizeof(double));
    }
    if (G == NULL || G->g == NULL || G->xs == NULL || G->vs == NULL || G->views == NULL ||
        G->pass == NULL) {
        qpm__risk_grid_free(a, G);
        return qpm__fail(QPM_E_NOMEM, "cannot allocate the P&L grids of %zu underlyings", n);
    }
    *out = G;
    return QPM_OK;
}

/* *buf holds at least need values, keeping those it had */
static qpm_status reserve(const qpm_alloc *a, double **buf, size_t *cap, size_t need)
{
    if (need <= *cap)
        return QPM_OK;
    double *t = qpm__calloc(a, need, sizeof(double));
    if (t == NULL)
        return qpm__fail(QPM_E_NOMEM, "cannot allocate a P&L grid of %zu points", need);
    if (*buf != NULL)
        memcpy(t, *buf, *cap * sizeof(double));
    qpm__free(a, *buf);
    *buf = t, *cap = need;
    return QPM_OK;
}

/* exact f_u into out (nx x nv, row-major in x) at the nodes x0 + hx i,
 * i = i0, i0 + di, ... (nx of them), and v0 + hv j, j = j0, j0 + dj, ...
 * (nv; vols only, else nv = 1): a node's value depends on its own x and v
 * only, so a node has the same bits whichever call computes it */
static qpm_status exact(qpm__risk_grid *G, qpm_book *book, size_t u, int vols, double x0, double hx,
                        size_t i0, size_t di, size_t nx, double v0, double hv, size_t j0, size_t dj,
                        size_t nv, double *out)
{
    /* spot-only grids are over log moves y: the book moves by expm1(y) */
    for (size_t k = 0; k < nx; k++) {
        double x = x0 + hx * (double)(i0 + di * k);
        G->xs[k] = vols ? x : expm1(x);
    }
    for (size_t k = 0; k < nv; k++)
        G->vs[k] = v0 + hv * (double)(j0 + dj * k);
    return qpm_book_scenario_grid(book, u, nx, G->xs, nv, vols ? G->vs : NULL, out, NULL, NULL);
}

/* The fine grid fx x fv of a level into G->tmp.  From the second level
 * on, G->tmp holds the previous level's fine grid, which is this level's
 * every other node (spacings halve exactly, so the nodes have the same
 * bits): those values move to their places and only the new nodes are
 * computed, in one call for the odd rows and (vols) one for the odd
 * columns of the even rows. */
static qpm_status fine_grid(qpm__risk_grid *G, const qpm_alloc *a, qpm_book *book, size_t u,
                            int vols, int first, double xlo, double hx, size_t fx, double vlo,
                            double hv, size_t fv)
{
    qpm_status st = reserve(a, &G->tmp, &G->cap, fx * fv);
    if (st != QPM_OK)
        return st;
    if (first)
        return exact(G, book, u, vols, xlo, hx, 0, 1, fx, vlo, hv, 0, 1, fv, G->tmp);
    size_t px = (fx + 1) / 2, pv = vols ? (fv + 1) / 2 : 1; /* the previous level's */
    double *t = G->tmp;
    for (size_t k = px * pv; k-- > 0;) /* last first: no value is overwritten unread */
        t[(k / pv) * 2 * fv + (vols ? 2 * (k % pv) : 0)] = t[k];
    size_t ox = px - 1; /* odd rows */
    if ((st = reserve(a, &G->odd, &G->ocap, ox * fv)) != QPM_OK ||
        (st = exact(G, book, u, vols, xlo, hx, 1, 2, ox, vlo, hv, 0, 1, fv, G->odd)) != QPM_OK)
        return st;
    for (size_t i = 0; i < ox; i++)
        memcpy(t + (2 * i + 1) * fv, G->odd + i * fv, fv * sizeof(double));
    if (!vols)
        return QPM_OK;
    size_t ov = pv - 1; /* the even rows' odd columns */
    if ((st = exact(G, book, u, vols, xlo, hx, 0, 2, px, vlo, hv, 1, 2, ov, G->odd)) != QPM_OK)
        return st;
    for (size_t i = 0; i < px; i++)
        for (size_t j = 0; j < ov; j++)
            t[2 * i * fv + 2 * j + 1] = G->odd[i * ov + j];
    return QPM_OK;
}

/* Builds u's grid over [xlo, xhi] x [vlo, vhi] (vols: mv > 1) to the
 * tolerance tol (relative to the largest |f| on it). */
static qpm_status build(qpm__risk_grid *G, const qpm_alloc *a, qpm_book *book, size_t u, double xlo,
                        double xhi, double vlo, double vhi, int vols, double tol)
{
    grid1 *g = &G->g[u];
    /* coarse level: 8 intervals per dimension (vols: 4) */
    size_t cx = 8, cv = vols ? 4 : 0;
    double *coarse = NULL;
    qpm_status st;
    for (int level = 0;; level++) {
        size_t fx = 2 * cx + 1, fv = vols ? 2 * cv + 1 : 1;
        double hx = (xhi - xlo) / (double)(fx - 1),
               hv = vols ? (vhi - vlo) / (double)(fv - 1) : 0.0;
        if ((st = fine_grid(G, a, book, u, vols, level == 0, xlo, hx, fx, vlo, hv, fv)) != QPM_OK) {
            qpm__free(a, coarse);
            return st;
        }
        /* the coarse grid: every other node of the fine one */
        size_t mx = cx + 1, mv = vols ? cv + 1 : 1;
        double *c = qpm__calloc(a, mx * mv, sizeof(double));
        if (c == NULL) {
            qpm__free(a, coarse);
            return qpm__fail(QPM_E_NOMEM, "cannot allocate a P&L grid of %zu points", mx * mv);
        }
        double scale = 0.0;
        for (size_t i = 0; i < fx; i++)
            for (size_t j = 0; j < fv; j++) {
                double v = G->tmp[i * fv + j];
                scale = fmax(scale, fabs(v));
                if (i % 2 == 0 && (!vols || j % 2 == 0))
                    c[(i / 2) * mv + (vols ? j / 2 : 0)] = v;
            }
        double err = 0.0;
        for (size_t i = 0; i < fx; i++)
            for (size_t j = 0; j < fv; j++) {
                if (i % 2 == 0 && (!vols || j % 2 == 0))
                    continue;
                double y = interp(c, mx, mv, xlo, 2.0 * hx, vlo, 2.0 * hv, xlo + hx * (double)i,
                                  vlo + hv * (double)j);
                err = fmax(err, fabs(y - G->tmp[i * fv + j]));
            }
        qpm__free(a, coarse);
        coarse = c;
        int done = err <= fmax(tol * scale, 1e-12) || level + 4 >= MAX_LEVEL ||
                   (vols && fx * fv > ((size_t)1 << 16));
        if (done) {
            /* keep the fine grid: its values (spot and vol) or its
             * coefficient rows (spot only) */
            double *f = vols ? qpm__calloc(a, fx * fv, sizeof(double)) : NULL;
            double *cf = vols ? NULL : qpm__acalloc(a, 4 * fx, sizeof(double));
            if (f == NULL && cf == NULL) {
                qpm__free(a, coarse);
                return qpm__fail(QPM_E_NOMEM, "cannot allocate a P&L grid of %zu points", fx * fv);
            }
            if (f != NULL)
                memcpy(f, G->tmp, fx * fv * sizeof(double));
            else
                for (size_t i = 1; i + 2 < fx; i++)
                    qpm__grid_coefs(G->tmp + i - 1, cf + 4 * i);
            qpm__free(a, g->f);
            qpm__afree(a, g->c);
            qpm__free(a, coarse);
            g->f = f;
            g->c = cf;
            g->x0 = xlo, g->hx = hx, g->mx = fx, g->rhx = 1.0 / hx;
            g->v0 = vlo, g->hv = hv, g->mv = fv;
            g->err = err;
            g->xlo = xlo, g->xhi = xhi, g->vlo = vlo, g->vhi = vhi;
            g->built = 1;
            return QPM_OK;
        }
        /* refine the dimension(s): both together */
        cx *= 2;
        if (vols)
            cv *= 2;
    }
}

const qpm__grid_view *qpm__risk_grid_views(qpm__risk_grid *G, size_t n, double *off)
{
    if (n != G->n || isnan(G->c0))
        return NULL;
    qpm__grid_view *v = G->views;
    for (size_t u = 0; u < n; u++) {
        const grid1 *g = &G->g[u];
        if (!g->built || g->mv != 1)
            return NULL;
        v[u].x0 = g->x0, v[u].rhx = g->rhx, v[u].xlo = g->xlo, v[u].xhi = g->xhi;
        v[u].mx = g->mx;
        v[u].c = g->c;
    }
    *off = -((double)(n - 1) * G->c0);
    return v;
}

qpm_status qpm__risk_grid_pnl(qpm__risk_grid *G, const qpm_alloc *a, qpm_book *book, size_t n,
                              size_t cnt, const double *spot, const double *vol, double tol,
                              const unsigned char *pend, int logs, double *pnl)
{
    /* the rows to revalue: the pending ones, or all */
    if (G->rcap < cnt) {
        size_t *r = qpm__calloc(a, cnt, sizeof *r);
        if (r == NULL)
            return qpm__fail(QPM_E_NOMEM, "cannot allocate %zu row indices", cnt);
        qpm__free(a, G->rows);
        G->rows = r, G->rcap = cnt;
    }
    size_t nr = 0;
    for (size_t s = 0; s < cnt; s++) {
        G->rows[nr] = s;
        nr += pend == NULL || pend[s] != 0;
    }
    if (nr == 0)
        return QPM_OK;
    const size_t *rows = G->rows;
    int vols = vol != NULL;
    /* the coordinates: spot-only grids are over log moves */
    const double *xc = spot;
    if (!vols && !logs) {
        if (G->ycap < cnt * n) {
            double *y = qpm__calloc(a, cnt * n, sizeof(double));
            if (y == NULL)
                return qpm__fail(QPM_E_NOMEM, "cannot allocate %zu log moves", cnt * n);
            qpm__free(a, G->ybuf);
            G->ybuf = y, G->ycap = cnt * n;
        }
        for (size_t k = 0; k < cnt * n; k++)
            G->ybuf[k] = log1p(spot[k]);
        xc = G->ybuf;
    }
    /* ranges of this batch (its pending scenarios), and grids (re)built
     * where they do not cover it */
    for (size_t u = 0; u < n; u++) {
        double xl = DBL_MAX, xh = -DBL_MAX, vl = 0.0, vh = 0.0;
        for (size_t k = 0; k < nr; k++) {
            double x = xc[rows[k] * n + u];
            xl = x < xl ? x : xl;
            xh = x > xh ? x : xh;
        }
        if (vols) {
            vl = DBL_MAX, vh = -DBL_MAX;
            for (size_t k = 0; k < nr; k++) {
                double v = vol[rows[k] * n + u];
                vl = v < vl ? v : vl;
                vh = v > vh ? v : vh;
            }
        }
        grid1 *g = &G->g[u];
        if (g->built && xl >= g->xlo && xh <= g->xhi && (!vols || (vl >= g->vlo && vh <= g->vhi)) &&
            (g->mv > 1) == vols)
            continue;
        if (g->built && (g->mv > 1) == vols) {
            xl = fmin(xl, g->xlo), xh = fmax(xh, g->xhi);
            if (vols)
                vl = fmin(vl, g->vlo), vh = fmax(vh, g->vhi);
        }
        /* widen by a quarter of the span (at least 1e-4); simple moves
         * (with vols) stay > -1 */
        double wx = fmax(0.25 * (xh - xl), 1e-4);
        double lo = xl - wx;
        if (vols && lo <= -1.0)
            lo = -1.0 + 0.5 * (1.0 + xl); /* halfway between -1 and the lowest move */
        double hi = xh + wx;
        double wv = vols ? fmax(0.25 * (vh - vl), 1e-4) : 0.0;
        double vlo = vl - wv, vhi = vh + wv;
        if (vols && vlo <= -1.0)
            vlo = -1.0 + 0.5 * (1.0 + vl);
        qpm_status st = build(G, a, book, u, lo, hi, vlo, vhi, vols, tol);
        if (st != QPM_OK)
            return st;
    }
    if (isnan(G->c0)) {
        double *zero = qpm__calloc(a, n, sizeof(double));
        if (zero == NULL)
            return qpm__fail(QPM_E_NOMEM, "cannot allocate a scenario of %zu moves", n);
        qpm_status st = qpm_book_pnl(book, 1, zero, n, NULL, n, &G->c0);
        qpm__free(a, zero);
        if (st != QPM_OK)
            return st;
    }
    double off = -((double)(n - 1) * G->c0);
    const qpm__grid_view *views = vols ? NULL : qpm__risk_grid_views(G, n, &off);
    if (views != NULL) {
        /* spot-only grids: the scenarios (pending or all) in passes of up
         * to QPM__RISK_PASS, their log moves by underlying, through the
         * pass's kernel (the same operations as below) */
        enum { P = QPM__RISK_PASS };
        qpm__risk_worker w;
        memset(&w, 0, sizeof w);
        w.pmv = G->pass;
        double pp[P];
        unsigned char pe[P];
        for (size_t k0 = 0; k0 < nr; k0 += P) {
            size_t m = nr - k0 < P ? nr - k0 : P;
            for (size_t k = 0; k < m; k++)
                for (size_t u = 0; u < n; u++)
                    G->pass[u * P + k] = xc[rows[k0 + k] * n + u];
            /* every move is inside the grids now: nothing stays pending */
            qpm__risk_grid_pass(views, off, &w, m, n, pp, pe, G->pass + n * P, n);
            for (size_t k = 0; k < m; k++)
                pnl[rows[k0 + k]] = pp[k];
        }
        return QPM_OK;
    }
    /* spot and vol moves (every grid was just built for them) */
    for (size_t k = 0; k < nr; k++) {
        size_t s = rows[k];
        double t = off;
        for (size_t u = 0; u < n; u++) {
            const grid1 *g = &G->g[u];
            t += interp(g->f, g->mx, g->mv, g->x0, g->hx, g->v0, g->hv, xc[s * n + u],
                        vol[s * n + u]);
        }
        pnl[s] = t;
    }
    return QPM_OK;
}

double qpm__risk_grid_bound(const qpm__risk_grid *G)
{
    double e = 0.0;
    for (size_t u = 0; u < G->n; u++)
        e += G->g[u].err;
    return e;
}
