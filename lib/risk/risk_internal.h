/* Internal declarations of the risk module. */
#ifndef QPM_RISK_INTERNAL_H
#define QPM_RISK_INTERNAL_H

#include <math.h>
#include <stddef.h>

#include "core/internal.h"
#include "qpm/book.h"
#include "qpm/garch.h"
#include "qpm/risk.h"
#include "qpm/rng.h"
#include "rng/rng_internal.h"

/* Scenarios per generator stream, and per book call / progress report. */
#define QPM__RISK_BLOCK         4096u
#define QPM__RISK_BATCH         65536u
#define QPM__RISK_MAX_N         4096u
#define QPM__RISK_MAX_SCENARIOS 2147483648.0

/* Neumaier compensated sum. */
typedef struct qpm__ksum {
    double s, c;
} qpm__ksum;

static inline void qpm__ksum_add(qpm__ksum *k, double x)
{
    double t = k->s + x;
    if ((k->s >= 0 ? k->s : -k->s) >= (x >= 0 ? x : -x))
        k->c += (k->s - t) + x;
    else
        k->c += (x - t) + k->s;
    k->s = t;
}

static inline double qpm__ksum_value(const qpm__ksum *k)
{
    return k->s + k->c;
}

/* The relative move expm1(ret) of a log return, ret clipped to [-36, 700]:
 * exp(-36) - 1 rounds to a value > -1 and exp(700) is finite, so every move
 * is finite and > -1; the clip touches only absurd tails. */
static inline double qpm__risk_move(double ret)
{
    if (ret < -36.0)
        ret = -36.0;
    if (ret > 700.0)
        ret = 700.0;
    return expm1(ret);
}

/* Rearranges x[0..n-1] so that x[k] holds the value of rank k (0-based),
 * with every element before it <= x[k] and every element after it >= x[k].
 * O(n) expected, O(n log n) worst case. */
void qpm__risk_select(double *x, size_t n, size_t k);

/* The rank k = ceil(alpha n) of the historical VaR (for the decimal alpha
 * the double stands for) and the weight k - alpha n of L(k) in the ES. */
size_t qpm__risk_rank_of(double alpha, size_t n, double *weight);

/* VaR, ES and their standard errors at one level from a loss sample that
 * the call may reorder (no checks: n >= 1, finite values, 0 < alpha < 1).
 * Sums that would overflow are taken of the sample scaled by a power of two;
 * QPM_E_OVERFLOW (outputs unspecified) when a standard error itself is
 * beyond the range of double. */
qpm_status qpm__risk_var_es_inplace(double *x, size_t n, double alpha, double *var, double *es,
                                    double *var_se, double *es_se);

/* The covariance check and factor shared by qpm_risk_set_covariance and
 * qpm_risk_delta_gamma (cov already checked by qpm__check_covariance): c
 * receives the symmetric part (n x n), f a factor with f f' = c, lower
 * triangular (*tri = 1, Cholesky) or from the eigendecomposition (*tri = 0,
 * for singular PSD matrices).  QPM_E_NOTPSD names the failing pivot and the
 * smallest eigenvalue; QPM_E_NOMEM. */
qpm_status qpm__risk_factor(const qpm_alloc *a, size_t n, const double *cov, size_t ld, double *c,
                            double *f, int *tri);

/* Per-worker generator and scratch. */
/* Scenarios per pass of the Monte Carlo's generation: their draws in
 * stream order, then their normals inverted together, then their moves. */
#define QPM__RISK_PASS 64u

typedef struct qpm__risk_worker {
    qpm_rng *rng;
    double *g;  /* n normals */
    double *jc; /* n Poisson counts */
    double *je; /* n jump normals */
    /* one pass (QPM__RISK_PASS scenarios): n jump counts and n jump
     * normals each (pjc[s * n + u]), its t scale and its vol factor's
     * normal; its n normals by underlying (pgt[u * QPM__RISK_PASS + s]) */
    double *pjc, *pje, *pc, *pfv, *pgt;
    /* its spot moves by underlying (pmv[u * QPM__RISK_PASS + s]) when the
     * pass is revalued from P&L grids as it is drawn */
    double *pmv;
} qpm__risk_worker;

struct qpm_risk;
/* The spot moves of the m <= QPM__RISK_PASS scenarios of a pass, from w's
 * pass buffers (normals, t scales, jumps), into sp (leading dimension ld),
 * or, when sp is NULL, their log moves (clamped to [-36, 700]) by
 * underlying into w->pmv (every lane of the last group of lanes written,
 * 0 past m);
 * four scenarios at a time, an AVX2 build (or an AVX-512 build of eight at
 * a time) where the CPU has it (the same bits; risk_moves.h). */
void qpm__risk_moves(const struct qpm_risk *r, qpm__risk_worker *w, size_t m, size_t n, int jumps,
                     double *sp, size_t ld);
void qpm__risk_moves_avx2(const struct qpm_risk *r, qpm__risk_worker *w, size_t m, size_t n,
                          int jumps, double *sp, size_t ld);
void qpm__risk_moves_avx512(const struct qpm_risk *r, qpm__risk_worker *w, size_t m, size_t n,
                            int jumps, double *sp, size_t ld);

/* Eight generator lanes of QPM_RISK_NORMALS_ZIGGURAT (risk_zig.c).  Lane l
 * of a block starts from the stream QPM__RISK_ZIG_STREAM + 8 block + l of
 * the base generator (pcg64dxsm): its first four outputs seed the lane's
 * xoshiro256++ (x0..x3, by word), and the stream goes on for the lane's
 * jumps (hi, lo, ihi, ilo: state and increment by word).  Scenario t of a
 * block belongs to lane t % 8, and each lane draws its scenarios in
 * order: from xoshiro256++, n ziggurat normals (the first points of the
 * underlyings' normals eight at a time, then each of those finished in
 * order), then (t only) the chi-square by qpm__zig_chi_xo, then (vol
 * of vol) one normal; from the pcg stream, (jumps) n Poisson counts and a
 * normal for each nonzero count. */
#define QPM__RISK_ZIG_STREAM 0x5000000000000000ull
/* what a pass needs of the settings */
typedef struct qpm__zig_par {
    double sh;    /* sqrt(horizon) */
    double nu_m2; /* nu - 2 */
    int student, vov, jumps;
    double jl; /* jump intensity over the horizon */
    /* the chi-square: for an integer nu <= QPM__ZIG_CHI_MAX, from chi_k =
     * floor(nu/2) uniforms (and, nu odd, one normal); otherwise 2 Gamma(nu/2)
     * by Marsaglia-Tsang (chi_k = 0) */
    int chi_k, chi_odd;
    qpm__gamma_par gp;
} qpm__zig_par;

typedef struct qpm__zig_lanes {
    uint64_t x0[8], x1[8], x2[8], x3[8];
    uint64_t hi[8], lo[8], ihi[8], ilo[8];
    qpm__zig_par par; /* the settings, set with the lanes */
} qpm__zig_lanes;

/* A scenario's t scale sqrt(h (nu - 2) / chi) from its chi-square chi
 * (sh = sqrt(h)); a chi that underflowed to 0 counts as 2^-1022. */
static inline double qpm__risk_t_scale(double sh, double nu_m2, double chi)
{
    if (!(chi > 0.0))
        chi = 0x1p-1022;
    return sh * sqrt(nu_m2 / chi);
}

/* The draws of the m <= QPM__RISK_PASS scenarios of a pass (the first m
 * of the block's next ones; m a multiple of 8 except at the block's end)
 * into w's pass buffers, as fill_block's other modes leave them: normals
 * in pgt, t scales c = sqrt(h) sqrt((nu - 2) / chi) in pc, the vol
 * factor's normal in pfv, jumps in pjc and pje.  Eight lanes at a time in
 * an AVX-512 build where the CPU has it, each lane's rare draws by the
 * scalar code (rng_zig.c): the same numbers in every build. */
void qpm__risk_zig_pass(qpm__risk_worker *w, qpm__zig_lanes *L, size_t m, size_t n);
void qpm__risk_zig_pass_avx512(qpm__risk_worker *w, qpm__zig_lanes *L, size_t m, size_t n);
/* the lanes of block `block`, and the settings their passes use (L->par) */
void qpm__risk_zig_seed(const struct qpm_risk *r, qpm__risk_worker *w, uint64_t block,
                        qpm__zig_lanes *L);

struct qpm_risk {
    qpm_alloc alloc;
    /* settings */
    size_t scenarios;
    double seed;
    double horizon;
    double nu;
    double jump_lambda, jump_mean, jump_std;
    double vol_of_vol;
    unsigned threads;
    double alpha;
    double ewma_lambda;
    int filter;     /* qpm_risk_filter */
    int reval;      /* qpm_risk_revaluation */
    int normals;    /* qpm_risk_normals */
    double *heston; /* n_heston x (v0, kappa, theta, xi, rho); NULL when unset */
    size_t n_heston;
    double grid_tol;
    double grid_err; /* bound of the last grid run; NaN when there is none */
    /* covariance */
    size_t n;    /* underlyings; 0 before set_covariance */
    double *cov; /* n x n copy */
    double *fac; /* n x n factor (lower triangular when tri) */
    int tri;
    /* generators and threads */
    qpm_rng *base;
    qpm__pool *pool;
    qpm__progress progress;
    /* run buffers (allocated at the first run after a change) */
    qpm__risk_worker *workers;
    unsigned n_workers;        /* workers allocated */
    size_t worker_n;           /* n they were sized for */
    double *batch_spot;        /* QPM__RISK_BATCH x batch_n */
    double *batch_vol;         /* QPM__RISK_BATCH x batch_n */
    unsigned char *batch_pend; /* QPM__RISK_BATCH: scenarios left by a grid pass */
    size_t batch_n;
    double *loss; /* loss_cap */
    size_t loss_cap;
    /* venue defaults (qpm_risk_set_venue_defaults): n_vd venues, each
     * with its default probability over the horizon and recovery; scratch
     * for one scenario's uniforms (n_vd) and venue values (n_vd + 1) */
    size_t n_vd;
    double *vd_prob, *vd_rec, *vd_u, *vd_value;
};

/* P&L grids of the grid revaluation mode (risk_grid.c). */
typedef struct qpm__risk_grid qpm__risk_grid;

/* One underlying's spot-only grid as the fused pass reads it: nodes
 * x0 + i / rhx, i < mx, of the log move, coefficient rows c
 * (risk_grid.h); log moves in [xlo, xhi] are covered. */
typedef struct qpm__grid_view {
    double x0, rhx, xlo, xhi;
    size_t mx;
    const double *c;
} qpm__grid_view;

/* G's n grids as views (G owns them; valid until G changes) and the P&L
 * offset -(n - 1) c0 into *off when every grid is built over spot moves
 * alone and c0 is known; else NULL (the batch's scenarios then all go
 * through qpm__risk_grid_pnl). */
const qpm__grid_view *qpm__risk_grid_views(qpm__risk_grid *G, size_t n, double *off);

/* The P&L of the m scenarios of a pass whose log moves are in w->pmv, from
 * the grids: pnl[s] = off + sum_u f_u(y_su) with the operations of
 * qpm__risk_grid_pnl (the same bits); a scenario with a log move outside
 * its grid's range (every scenario when v is NULL: no grids yet) gets
 * pend[s] = 1, its log moves copied to row s of sp (leading dimension ld)
 * and no pnl[s] (left to qpm__risk_grid_pnl's pending mode).  Eight
 * scenarios at a time in an AVX-512 build where the CPU has it. */
void qpm__risk_grid_pass(const qpm__grid_view *v, double off, const qpm__risk_worker *w, size_t m,
                         size_t n, double *pnl, unsigned char *pend, double *sp, size_t ld);
void qpm__risk_grid_pass_avx512(const qpm__grid_view *v, double off, const qpm__risk_worker *w,
                                size_t m, size_t n, double *pnl, unsigned char *pend, double *sp,
                                size_t ld);
qpm_status qpm__risk_grid_new(const qpm_alloc *a, size_t n, qpm__risk_grid **out);
void qpm__risk_grid_free(const qpm_alloc *a, qpm__risk_grid *G);
/* P&L of cnt scenarios (moves in spot and vol, rows of n; vol may be NULL)
 * from the grids, built or extended first where the moves need it.  With
 * pend not NULL, only the scenarios s with pend[s] != 0; with logs, the
 * rows of spot are log moves log(1 + x) (vol NULL). */
qpm_status qpm__risk_grid_pnl(qpm__risk_grid *G, const qpm_alloc *a, qpm_book *book, size_t n,
                              size_t cnt, const double *spot, const double *vol, double tol,
                              const unsigned char *pend, int logs, double *pnl);
/* The sum of the grids' measured errors. */
double qpm__risk_grid_bound(const qpm__risk_grid *G);

/* Allocates the per-worker generators and scratch for the handle's thread
 * count and n underlyings, if not yet done. */
qpm_status qpm__risk_prepare_workers(qpm_risk *r, size_t n);
/* Allocates the batch move buffers for n underlyings and a loss buffer of at
 * least `losses` values, if not yet done. */
qpm_status qpm__risk_prepare_batch(qpm_risk *r, size_t n, size_t losses);

/* A scenario engine: fill writes the moves of scenarios [first, first +
 * cnt) (cnt <= QPM__RISK_BATCH; batches come in order, so an engine may
 * carry state from one to the next) into r->batch_spot, and into
 * r->batch_vol when `vols` is set, rows of n underlyings.  Every move must
 * be finite and > -1 (qpm__risk_move turns a log return into one). */
typedef struct qpm__risk_engine {
    void (*fill)(qpm_risk *r, void *state, size_t n, size_t first, size_t cnt);
    void *state;
    int vols;
    /* optional (NULL): fill and revalue from the grids' views v (offset
     * off; v NULL before the grids exist) together, as
     * qpm__risk_fill_grid does, pnl[s] for each scenario but those marked
     * in pend (their log moves in r->batch_spot's rows) */
    void (*fill_grid)(qpm_risk *r, void *state, size_t n, size_t first, size_t cnt,
                      const qpm__grid_view *v, double off, double *pnl, unsigned char *pend);
} qpm__risk_engine;

/* Runs `total` scenarios of engine e through the book (n underlyings), a
 * batch at a time with a progress report after each (QPM_E_CANCELLED), then
 * VaR/ES of the P&L into the outputs (pnl_out first, all optional): the one
 * loop every engine shares.  The book checks each batch's moves (a move
 * that takes a price outside the double range is refused there).  Prepares
 * the workers and buffers (QPM_E_NOMEM). */
qpm_status qpm__risk_revalue(qpm_risk *r, qpm_book *book, size_t n, size_t total,
                             const qpm__risk_engine *e, double *pnl_out, double *var, double *es,
                             double *var_se, double *es_se);

/* QPM_E_SIZE unless the venue defaults (if any) match the book's venues. */
qpm_status qpm__risk_check_defaults(const qpm_risk *r, qpm_book *book);

/* Venue defaults in scenarios [first, first + cnt) (moves in r->batch_spot,
 * r->batch_vol when vols): a venue v defaults in scenario s when the
 * uniform drawn for (s, v) is below its probability; pnl[s] then loses
 * (1 - recovery) of what v holds in that scenario (qpm_book_venue_value). */
qpm_status qpm__risk_apply_defaults(qpm_risk *r, qpm_book *book, size_t first, size_t cnt, int vols,
                                    double *pnl);

/* Fills scenarios [first, first + count) (count <= QPM__RISK_BATCH, first a
 * multiple of QPM__RISK_BLOCK) into spot (ld_spot) and vol (ld_vol, may be
 * NULL) using the pool.  Workers must be prepared. */
void qpm__risk_fill(qpm_risk *r, size_t first, size_t count, double *spot, size_t ld_spot,
                    double *vol, size_t ld_vol);
/* The same scenarios without vol moves, each pass revalued from the
 * grids' views v (NULL: none yet) as it is drawn (qpm__risk_grid_pass):
 * pnl[s], or pend[s] = 1 with the log moves in row s of spot (ld_spot). */
void qpm__risk_fill_grid(qpm_risk *r, size_t first, size_t count, double *spot, size_t ld_spot,
                         const qpm__grid_view *v, double off, double *pnl, unsigned char *pend);

/* GARCH(1,1) on the series r[0], r[stride], ..., r[(n - 1) stride]: the
 * series check of garch.h (QPM_E_NULL, QPM_E_SIZE, QPM_E_NONFINITE naming
 * r[t], QPM_E_INVALID for a constant series), and the fit of qpm_garch_fit
 * without its argument checks (dist valid, out->size checked). */
qpm_status qpm__garch_check_series(const double *r, size_t n, size_t stride);
qpm_status qpm__garch_fit(const double *r, size_t n, size_t stride, qpm_garch_dist dist,
                          const double *mu_fixed, qpm_garch_result *out);

#endif /* QPM_RISK_INTERNAL_H */
