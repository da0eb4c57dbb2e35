/* Internal layout of the qpm_book handle, shared by its source files.  Not
 * installed. */
#ifndef QPM_BOOK_INTERNAL_H
#define QPM_BOOK_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "core/internal.h"
#include "pricing/amm_math.h"
#include "qpm/book.h"
#include "qpm/pricing.h"
#include "surface/surface_internal.h"

#define QPM__BOOK_NAME_MAX 64u   /* bytes including the terminating NUL */
#define QPM__BOOK_CHUNK    64u   /* scenarios per work chunk */
#define QPM__BOOK_BATCH    1024u /* options x scenarios per pricer run, small books */
#define QPM__BOOK_SPAN     4096u /* at most this many options per pricer run, large books */
#define QPM__BOOK_MAX_RATE 5.0   /* |r| bound: keeps |r T| within the pricer's 700 */
#define QPM__BOOK_MAX_T    100.0

typedef struct qpm__instr qpm__instr; /* a row of the instrument table (instrument.h) */

typedef struct qpm__book_under {
    char name[QPM__BOOK_NAME_MAX];
    double S, r, P; /* P is NaN until set */
    /* derived by qpm__book_prepare */
    double slope;              /* USD P&L of the linear positions per unit move x */
    double pmin, pmax;         /* smallest and largest of S, P and the forwards */
    double smin, smax;         /* smallest and largest option vol (0 without options) */
    /* the moves that pass the scenario check (book_pnl.c, move_bounds):
     * exactly those v with mlo[k] < v <= mhi[k], k = 0 spot, 1 vol; set
     * for preparation mb_count of the engine */
    double mlo[2], mhi[2];
    double fund_cur, fund_exp; /* funding rates per 8 hours (qpm_book_set_funding) */
    /* derived: the perps' funding over the P&L horizon in a scenario moving
     * the underlying by x is fconst + fslope x (USD) */
    double fconst, fslope;
    /* collateral in the coin over every venue (qpm__book_collateral_sums):
     * sum of amount x (1 - haircut), and sum of amount */
    double coll_eff, coll_full;
    double mm_base; /* maintenance margin of its positions (margin cache) */
    /* the vol surface its sigma = 0 options price off (the book's own copy;
     * NULL when none) and how its vols move with the spot in scenarios */
    qpm_surface *surf;
    qpm_book_vol_dynamics dyn;
} qpm__book_under;

/* A venue or protocol that positions and collateral are tagged with. */
typedef struct qpm__book_venue {
    char name[QPM__BOOK_NAME_MAX];
} qpm__book_venue;

/* A collateral holding: `amount` of `asset` (an underlying's coin or
 * QPM_BOOK_USD) at `venue` (a row or QPM_BOOK_NO_VENUE), counted at
 * (1 - haircut) of its value. */
typedef struct qpm__book_coll {
    size_t venue, asset;
    double amount, haircut;
} qpm__book_coll;

typedef struct qpm__book_expiry {
    size_t u;
    int32_t id;
    double F, T;
} qpm__book_expiry;

/* A validated position: instr has a row in the instrument table (checked
 * when the position is added, so an unknown code never gets further; read
 * the row with qpm__pos_kind).  Fields its kind does not need are NaN (K,
 * e, sig), 0 (type) or SIZE_MAX (ex).  An AMM position keeps its range
 * and fee rate where the others keep K, e and sig (72 bytes either way). */
typedef struct qpm__book_pos {
    int32_t instr;
    int32_t type;
    size_t u;
    size_t ex;    /* expiry row, SIZE_MAX when none applies */
    size_t venue; /* venue row, QPM_BOOK_NO_VENUE when untagged */
    double Q, m;
    union {
        struct {
            double K, e, sig;
        };
        struct {
            double lo, hi, fee; /* [Pa, Pb), fee yield per year */
        } amm;
    };
} qpm__book_pos;

/* An AMM position as the scenario loop revalues it (filled by
 * qpm__book_prepare): its underlying, liquidity, range and base value. */
typedef struct qpm__book_amm {
    size_t u;
    double L, v0;
    qpm__amm_range rg;
} qpm__book_amm;

/* USD value of AMM position a at pool price P. */
static inline double qpm__book_amm_value(const qpm__book_amm *a, double P)
{
    return a->L * qpm__amm_unit_value(&a->rg, P);
}

/* An option position's USD value per coin, w B / (Q m), from its weight w
 * (USD per unit of the Black-76 price) and price B: the mark its margin
 * reads. */
static inline double qpm__book_option_mark(const qpm__book_pos *p, double w, double B)
{
    return w / (p->Q * p->m) * B;
}

/* The options of the book as the pricer's structure-of-arrays (n rows), with
 * their base Black-76 values and Greeks (filled by qpm__book_prepare). */
typedef struct qpm__book_opts {
    size_t n;
    void *mem;
    double *F, *K, *T, *r, *sig, *w; /* w: USD value per unit of B */
    double *Th;                      /* T at the scenarios' time (QPM_BOOK_DECAY_DAYS), >= 0 */
    double *B, *dB, *gB, *vB, *tB;
    int32_t *type;
    size_t *pos, *u;
    /* the surface an option's vol is read from again in every scenario
     * (sticky moneyness), NULL for a vol that only scales; n_sm of them
     * are not NULL (0: the scenario loops keep their plain form) */
    const qpm_surface **sm;
    size_t n_sm;
} qpm__book_opts;

/* The vol of option j of *o on its surface at (T, ln(K/F)), F its forward. */
static inline double qpm__book_surface_vol(const qpm_surface *s, double T, double K, double F)
{
    double w = qpm__surface_total_variance(s, T, log(K / F));
    return w > 0.0 ? sqrt(w / T) : 0.0;
}

/* Option j's vol in a scenario that moves its forward to F and scales its
 * vol by fv, T years from expiry (o->T[j], or o->Th[j] with time decay): its
 * base vol times fv (sticky strike, or a vol of its own), or (sticky
 * moneyness) its surface's vol at the moved moneyness and T times fv. */
static inline double qpm__book_moved_vol(const qpm__book_opts *o, size_t j, double T, double F,
                                         double fv)
{
    const qpm_surface *s = o->sm[j];
    return (s == NULL || !(T > 0.0) ? o->sig[j] : qpm__book_surface_vol(s, T, o->K[j], F)) * fv;
}

/* Scratch of one worker thread for the P&L loop: the moved forwards and
 * vols of one pricer run (cap options) and their prices. */
typedef struct qpm__book_worker {
    void *mem;
    double *F, *sig, *B; /* cap each */
    qpm_status status;
} qpm__book_worker;

/* The vector P&L kernels (pnl_kern.h): per option of the book, the
 * constants of its revaluation, set at each P&L run from the options
 * (c = ln(F0/K), s = sigma sqrt(T), rs = 1/s (inf at s = 0), Dphi = phi D,
 * rK = 1/K; B0k, the kernel's own value with no move, and th = B0k - B0,
 * the decay to the scenarios' time (0 without decay); F0, K and w point
 * into the options).  The P&L term of option j is w ((B - B0k) + th): a
 * zero move without decay gives exactly 0.  An option on a
 * sticky-moneyness surface takes its s = sqrt(w(k)) from the surface's
 * total variance w at its moved log-moneyness k = -(c + ln(1 + x)) and its
 * T, in every scenario. */
typedef struct qpm__pnl_opts {
    double *c, *s, *rs, *Dphi, *rK, *B0k, *th;
    const double *F0, *K, *w;
    /* options on a sticky-moneyness surface: smf[j] = 1 or 2, the slices
     * it reads (else 0), and the constants of its total variance at its T
     * (qpm__surface_w_form):
     * constant q of option j at sm[q * nsm + j]; s and rs then come from
     * the surface in every scenario */
    double *smf, *sm;
    size_t nsm;
} qpm__pnl_opts;

/* One underlying over a chunk's scenarios (nk of them, a multiple of the
 * kernel's lanes; the lanes past the chunk hold a move of 0): fx = 1 + its
 * spot move, L = ln fx; fv = 1 + its vol shift and rv = 1/fv, or NULL
 * without vol shifts. */
typedef struct qpm__pnl_run {
    const qpm__pnl_opts *p;
    size_t nk;
    const double *fx, *L, *fv, *rv;
} qpm__pnl_run;

typedef struct qpm__pnl_kernel {
    void (*cols)(size_t nk, const double *fx, const double *fv, double *L, double *rv);
    void (*opts)(const qpm__pnl_run *R, size_t j0, size_t j1, double *acc);
    void (*base)(qpm__pnl_opts *p, size_t n);
    void (*across)(const qpm__pnl_opts *p, const size_t *ou, size_t n, const double *L,
                   const double *fx, const double *fv, const double *rv, double *acc);
    void (*amm)(const qpm__book_amm *a, double S, const double *fx, size_t nk, double *acc);
    size_t lanes;
} qpm__pnl_kernel;

/* the rows of the three builds (pnl_avx2.c, pnl_avx512.c, pnl_lane.c) */
extern const qpm__pnl_kernel qpm__pnl_kernel_avx2, qpm__pnl_kernel_avx512, qpm__pnl_kernel_lane;
/* The widest P&L kernel this CPU runs (qpm__cpu_flags: AVX-512 F + DQ,
 * else AVX2 + FMA), or NULL: the P&L then goes through the pricer.  Every
 * build gives the same bits, so a chunk of ns scenarios runs on the
 * narrowest that covers it (qpm__pnl_kernel_for). */
const qpm__pnl_kernel *qpm__pnl_kernel_pick(void);
const qpm__pnl_kernel *qpm__pnl_kernel_for(const qpm__pnl_kernel *widest, size_t ns);

/* Everything that depends on the option count and the thread count:
 * built whole and swapped in, so that a failed rebuild leaves the old one.
 *
 * A pricer run takes spp scenarios of `span` options, laid out scenario
 * after scenario.  The kernels read strikes, times, rates and types with a
 * stride of 0 or 1 only, and each call has a cost of its own (on the wide
 * kernels, a partial last block and the deferred careful lanes), so a run
 * should be long (QPM__BOOK_BATCH options):
 * - a large book (more than QPM__BOOK_BATCH / 2 options) runs one scenario
 *   at a time over slices of at most QPM__BOOK_SPAN options, reading the
 *   option arrays in place (spp = 1, no copy);
 * - a small book runs spp >= 2 scenarios of every option at once, which
 *   needs its strikes, times, rates and types spp times in a row: K, T, r,
 *   type (cap = spp * span <= QPM__BOOK_BATCH each), filled once per
 *   preparation and shared by the workers. */

typedef struct qpm__book_engine {
    unsigned nthreads;
    void *pmem; /* the arrays of pc (NULL without options) */
    qpm__pnl_opts pc;
    const qpm__pnl_kernel *pk; /* the P&L kernel of the current run, or NULL */
    const qpm__pnl_kernel *ak; /* the P&L kernel of its AMM positions, or NULL */
    /* pc holds the constants of preparation pc_count (0: not set since the
     * engine was built; every build computes the same bits) */
    unsigned long pc_count;
    unsigned long mb_count; /* the underlyings' mlo and mhi are of this preparation */
    size_t spp;  /* scenarios per pricer run */
    size_t span; /* options per pricer run */
    size_t cap;  /* spp * span */
    void *mem;   /* small books: the repeated K, T, r, type (NULL otherwise) */
    double *K, *T, *r;
    int32_t *type;
    qpm_pricer *pricer;  /* Black-76, linear: read-only in runs, shared by the workers */
    qpm__book_worker *w; /* nthreads */
} qpm__book_engine;

struct qpm_book {
    qpm_alloc alloc;
    qpm__book_under *under;
    size_t n_under, cap_under;
    qpm__book_expiry *exp;
    size_t n_exp, cap_exp;
    qpm__book_pos *pos;
    size_t n_pos, cap_pos;
    qpm__book_opts opts;
    qpm__book_amm *amm; /* the AMM positions in book order (n_amm) */
    size_t n_amm, cap_amm;
    qpm__book_engine eng;
    qpm__pool *pool;
    double funding_hours; /* QPM_BOOK_FUNDING_HOURS */
    double decay_days;    /* QPM_BOOK_DECAY_DAYS */
    /* the standard margin model (QPM_BOOK_MARGIN_*) */
    double m_lin_im, m_lin_mm, m_opt_im, m_opt_im_min, m_opt_mm;
    /* the portfolio-margin model (QPM_BOOK_PM_*) */
    double pm_range, pm_vol_down, pm_vol_up, pm_ext, pm_damp, pm_mm;
    unsigned pm_steps;
    qpm__book_venue *venue;
    size_t n_venue, cap_venue;
    qpm__book_coll *coll; /* one row per (venue, asset) ever set */
    size_t n_coll, cap_coll;
    double coll_usd; /* USD collateral over every venue, after haircuts */
    /* margin cache (book_margin.c): the positions' total value and each
     * underlying's mm_base at the prepared market; cleared by a preparation
     * and by a change of the margin model */
    int margin_ready;
    double value_sum;
    int prepared;
    unsigned long prep_count; /* preparations so far (the P&L kernels' constants follow it) */
};

/* The fraction of the notional that funding at rates (cur, exp) per 8
 * hours accrues over h hours. */
static inline double qpm__book_accrual(double cur, double exp, double h)
{
    return (cur * (h < 8.0 ? h : 8.0) + exp * (h > 8.0 ? h - 8.0 : 0.0)) / 8.0;
}

/* Computes the derived data (option arrays, base values and Greeks,
 * linear slopes, bounds for the scenario checks) after a change of market or
 * positions.  Allocates nothing. */
qpm_status qpm__book_prepare(qpm_book *b);

/* Builds the engine for `nopt` options and `nthreads` threads into *eng. */
qpm_status qpm__book_engine_build(const qpm_alloc *a, qpm__book_engine *eng, size_t nopt,
                                  unsigned nthreads);
void qpm__book_engine_free(const qpm_alloc *a, qpm__book_engine *eng);

/* The names of underlyings and venues: rows of `stride` bytes starting
 * with a NUL-terminated name.  The row of `name`, or SIZE_MAX; and a new
 * name's check (1 to QPM__BOOK_NAME_MAX - 1 bytes, not in the table:
 * QPM_E_INVALID naming it as a `what`). */
size_t qpm__book_name_row(const void *table, size_t n, size_t stride, const char *name);
qpm_status qpm__book_name_check(const void *table, size_t n, size_t stride, const char *name,
                                const char *what);

/* QPM_OK when v is a venue row or QPM_BOOK_NO_VENUE; else QPM_E_INVALID
 * naming the argument `what`. */
qpm_status qpm__book_check_venue(const qpm_book *b, size_t v, const char *what);

/* The checks of qpm_book_pnl on n scenarios (counts, leading dimensions,
 * every move and vol shift), the book prepared. */
qpm_status qpm__book_check_scenarios(qpm_book *b, size_t n, const double *spot_moves,
                                     size_t ld_spot, const double *vol_shifts, size_t ld_vol);

/* A moved market for qpm__book_evaluate: every price of underlying u by
 * the factor fx[u], option vols by 1 + vs[u] (ref / T)^pw (vs NULL: no vol
 * move; pw 0: no term weight). */
typedef struct qpm__book_market {
    const double *fx, *vs;
    double pw, ref;
    int decay; /* options at their scenario expiries Th (QPM_BOOK_DECAY_DAYS) */
} qpm__book_market;

/* The vol factor of an option on u with T years to expiry in *mk. */
double qpm__book_vol_factor(const qpm__book_market *mk, size_t u, double T);

/* Value, maintenance margin and gross notional of every position in the
 * market *mk, into val, mm, notional (n_pos each; mm and notional may be
 * NULL); funding not included.  Options are repriced (Black-76) through
 * worker 0's scratch.  The book prepared; the moves checked. */
qpm_status qpm__book_evaluate(qpm_book *b, const qpm__book_market *mk, double *val, double *mm,
                              double *notional);

/* Row of the expiry `id` on underlying u, or SIZE_MAX when it is not set. */
size_t qpm__book_find_expiry(const qpm_book *b, size_t u, int32_t id);

/* Grows *arr (capacity *cap elements of `size` bytes) to hold at least
 * `need`; the contents are kept.  QPM_E_NOMEM leaves it as it was. */
qpm_status qpm__book_grow(const qpm_alloc *a, void **arr, size_t *cap, size_t need, size_t size);

/* Allocates the option arrays for n options (contents filled by prepare);
 * frees them. */
qpm_status qpm__book_opts_build(const qpm_alloc *a, qpm__book_opts *o, size_t n);
void qpm__book_opts_free(const qpm_alloc *a, qpm__book_opts *o);

#endif /* QPM_BOOK_INTERNAL_H */
