/* libqpm stress: named, parameterised shocks to a book held as an account
 * (book.h: positions, collateral, venues, the standard margin model) and
 * the report of what they do; and the account's risk limits (VaR, ES,
 * leverage, margin ratio) with the scale-down that clears each.  Experimental (see common.h, "the
 * experimental tier"): every declaration here is seen only with
 * QPM_EXPERIMENTAL defined.
 *
 * One qpm_stress describes a shock; its parts combine freely (NULL or 0
 * leaves a part out):
 * - market move: every underlying u's spot index, forwards and perpetual
 *   mark by the factor 1 + spot_moves[u]; its option vols by the factor
 *   1 + vol_shifts[u] w(T) (applied, for options priced off a surface, to
 *   the vol its underlying's dynamics give: sticky strike or sticky
 *   moneyness, book.h), with w(T) = (vol_term_ref / T)^vol_term_power
 *   for an option T years from expiry (power 0: every expiry alike; 0.5:
 *   the usual square-root term structure of a vol spike, short expiries
 *   moving most).  A liquidation cascade is a gap of every coin together
 *   (correlations at 1), a vol spike and a liquidity cost;
 * - liquidity: closing a position costs liquidity_cost[u] per USD of its
 *   gross notional in the moved market (|Q m| S for spot and options,
 *   |Q m| F for linear futures and perps, |Q m| USD for inverse ones, the
 *   value for AMM positions);
 * - venue or protocol failure: everything tagged with venue v (positions
 *   and collateral) is worth venue_recovery[v] of its value in the moved
 *   market (0: lost, 1: unharmed); a failed venue's positions are not
 *   closed (no liquidity cost) and carry no margin;
 * - oracle manipulation: the venues see underlying u at its moved index
 *   times 1 + mark_deviation[u] (every price of u and the coin collateral
 *   in u), and compute equity and margin there; the P&L stays at the index;
 * - stablecoin depeg: USD collateral is worth 1 - usd_depeg.
 *
 * The report: the P&L (USD, the economic change at the moved index: coin
 * collateral at its full value, a failed venue's holdings at their
 * recovery, the liquidity cost included) per position, per underlying (the
 * positions on it and the collateral in its coin) and per venue (the last
 * row: what has no venue); and the account after the shock as the venues
 * see it, per venue: equity (collateral after haircuts and positions, at
 * the marks) and maintenance margin (qpm_book_margin's model at the
 * marks), and whether equity is below maintenance: the venues that
 * liquidate.  A failed venue's row holds its recovered equity and no
 * margin. */
#ifndef QPM_STRESS_H
#define QPM_STRESS_H

#include <stddef.h>
#include <stdint.h>

#include "qpm/book.h"
#include "qpm/common.h"

#ifdef __cplusplus
extern "C" {
#endif

#ifdef QPM_EXPERIMENTAL

/* A shock (see the header comment).  Versioned by its size like
 * qpm_book_positions: set `size` to sizeof(qpm_stress) after zero-filling
 * it; fields past a caller's size count as NULL or 0; a longer struct is
 * accepted when every field this library does not know is zero, else
 * QPM_E_UNSUPPORTED.  Arrays have qpm_book_n_underlyings elements (per
 * underlying) or qpm_book_n_venues (per venue). */
typedef struct qpm_stress {
    size_t size;
    /* Relative move of every price of the underlying, finite and > -1. */
    const double *spot_moves;
    /* Relative vol shift at the reference expiry, finite and > -1; with
     * the term weight every option's factor must stay > 0. */
    const double *vol_shifts;
    /* Term weight (vol_term_ref / T)^vol_term_power: power in [0, 2],
     * ref > 0 years (read when power > 0). */
    double vol_term_power;
    double vol_term_ref;
    /* Closing cost per USD of gross notional, in [0, 1]. */
    const double *liquidity_cost;
    /* Fraction of a venue's holdings recovered, in [0, 1]. */
    const double *venue_recovery;
    /* Relative deviation of the price the venues see from the index,
     * finite and > -1. */
    const double *mark_deviation;
    /* Discount of USD collateral, in [0, 1). */
    double usd_depeg;
} qpm_stress;

/* The report of qpm_book_stress.  Set `size` to sizeof(qpm_stress_out)
 * after zero-filling it; every array is optional (NULL: not wanted) and
 * has the rows given (venues: qpm_book_n_venues + 1, the last for what
 * has no venue).  The scalars are always written. */
typedef struct qpm_stress_out {
    size_t size;
    double pnl;                /* total USD P&L, liquidity cost included */
    double liquidity_cost;     /* total closing cost, USD (>= 0) */
    double equity;             /* after the shock, as the venues see it, USD */
    double maintenance;        /* maintenance margin after the shock, USD */
    double *position_pnl;      /* qpm_book_n_positions rows */
    double *underlying_pnl;    /* qpm_book_n_underlyings rows */
    double *venue_pnl;         /* venue rows */
    double *venue_equity;      /* venue rows: equity after the shock */
    double *venue_maintenance; /* venue rows: maintenance margin after it */
    int32_t *venue_liquidated; /* venue rows: 1 where the venue has not failed
                                  and its equity is below its maintenance
                                  margin or negative, else 0 */
} qpm_stress_out;

/* Experimental (see common.h).  Applies the shock *s to the account b and
 * writes the report to *out (see the header comment).  Full revaluation:
 * options repriced (Black-76) in the moved market, with the moved vols.
 * The book is not changed.  Allocates per call a workspace of a few
 * doubles per position and venue.  Errors: QPM_E_NULL (b, s, out),
 * QPM_E_INVALID (a size that is not a whole number of fields, a move,
 * shift, deviation, cost, recovery, depeg or term parameter out of its
 * range: the message names the field and the underlying or venue; a
 * moved price or vol out of the floating-point range), QPM_E_NONFINITE,
 * QPM_E_UNSUPPORTED (fields past the library's struct are set),
 * QPM_E_NOMEM, QPM_E_OVERFLOW (a value beyond the range of double);
 * outputs untouched on error. */
QPM_API qpm_status qpm_book_stress(qpm_book *b, const qpm_stress *s, qpm_stress_out *out);

/* ---- limits ------------------------------------------------------------------- */

/* The limits of qpm_book_limits, in the order of the report's arrays. */
typedef enum qpm_limit_kind {
    QPM_LIMIT_VAR = 0,    /* VaR, USD */
    QPM_LIMIT_ES = 1,     /* ES, USD */
    QPM_LIMIT_GROSS = 2,  /* gross leverage: gross notional / equity */
    QPM_LIMIT_NET = 3,    /* net leverage: |net delta| / equity (qpm_book_leverage) */
    QPM_LIMIT_MARGIN = 4, /* margin ratio: maintenance margin / equity */
    QPM_LIMIT_COUNT = 5
} qpm_limit_kind;

/* Limits on the account, each > 0, or 0 for none (the order of
 * qpm_limit_kind).  Versioned by size like qpm_stress. */
typedef struct qpm_limits {
    size_t size;
    double limit[QPM_LIMIT_COUNT];
} qpm_limits;

/* The report of qpm_book_limits.  Set `size` to sizeof(qpm_limit_report)
 * (a newer, longer struct gets this version's fields). */
typedef struct qpm_limit_report {
    size_t size;
    /* the measured value of each limit's quantity (NaN where it cannot be
     * measured: VaR or ES not given, leverage and margin ratio when equity
     * is not positive) */
    double value[QPM_LIMIT_COUNT];
    /* 1 where a limit is set and breached (value above it, or not
     * measurable), else 0 */
    int32_t breached[QPM_LIMIT_COUNT];
    /* the largest uniform scale k in [0, 1] of every position (quantities
     * times k, collateral unchanged) that clears the limit: 1 where not
     * breached; NaN where no k in [0, 1] clears it (the collateral alone
     * breaches it) */
    double scale[QPM_LIMIT_COUNT];
    int32_t n_breached; /* the number of limits breached */
    double scale_all;   /* the largest k that clears every limit (NaN: none) */
} qpm_limit_report;

/* Experimental (see common.h).  Checks the account b against the limits
 * *lim and reports every breach and the uniform scale-down of the book
 * that clears each one.  `var` and `es` are the book's measured VaR and
 * ES (USD of loss, e.g. from qpm_risk_simulate; NaN when not measured):
 * scaling every position by k scales each scenario's P&L by k, so VaR and
 * ES scale by k (true of the positions' market P&L; not of venue-default
 * losses, which take collateral too: measure without them).  Leverage and margin ratio are computed here at the
 * current market (qpm_book_margin, qpm_book_leverage): with positions
 * scaled by k, equity is C + k V (C the collateral after haircuts, V the
 * positions' value), the gross notional, the positions' net delta and the
 * maintenance margin scale by k, and the coin collateral's delta stays;
 * each limit is then linear in k and is solved exactly, with equity kept
 * positive.  Errors: QPM_E_NULL (b, lim, out), QPM_E_INVALID (a size that
 * is not a whole number of fields, a limit < 0; a VaR or ES limit without
 * its measure, or a measure that is negative or infinite), QPM_E_NONFINITE
 * (a limit), QPM_E_UNSUPPORTED (fields past the library's struct are
 * set), QPM_E_OVERFLOW (a value beyond the range of double); the report
 * untouched on error. */
QPM_API qpm_status qpm_book_limits(qpm_book *b, double var, double es, const qpm_limits *lim,
                                   qpm_limit_report *out);

#endif /* QPM_EXPERIMENTAL */

#ifdef __cplusplus
}
#endif

#endif /* QPM_STRESS_H */
