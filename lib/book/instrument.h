/* The book's instrument table (internal): one row per qpm_instrument value,
 * saying what a position of that kind needs when it is added, how it is
 * valued and how it moves in a scenario.  Every decision the book takes per
 * instrument kind reads this table; a code without a row is refused when
 * positions are added, so valuation never meets one.
 *
 * Adding a kind: append its value to qpm_instrument (include/qpm/book.h),
 * write its functions in lib/book/instr_<kind>.c (declared below) and add
 * its row to qpm__instrs[] in instrument.c (CONTRIBUTING.md, "Instruments"). */
#ifndef QPM_BOOK_INSTRUMENT_H
#define QPM_BOOK_INSTRUMENT_H

#include <stddef.h>
#include <stdint.h>

#include "book/book_internal.h"

/* Fields a kind needs, checked when a position is added, in this order
 * (after instrument, underlying, quantity and multiplier, which every kind
 * needs). */
#define QPM__NEEDS_EXPIRY 1u  /* expiry: a forward set on (underlying, expiry) */
#define QPM__NEEDS_PERP   2u  /* the underlying's perpetual mark */
#define QPM__NEEDS_ENTRY  4u  /* entry_price > 0 */
#define QPM__NEEDS_OPTION 8u  /* option_type +-1, strike > 0, sigma > 0 */
#define QPM__NEEDS_LIQ    16u /* quantity x multiplier > 0 (a liquidity) and fee_rate >= 0 */
#define QPM__NEEDS_RANGE  32u /* 0 <= price_lower < price_upper <= +inf */

/* The price a kind is marked at: the spot index S, the forward F of its
 * expiry, or the perpetual mark P.  A scenario moves all three alike. */
typedef enum qpm__ref { QPM__REF_SPOT, QPM__REF_FORWARD, QPM__REF_PERP } qpm__ref;

/* How a kind's value moves in a scenario (qpm_book_pnl, the grid, risk). */
typedef enum qpm__scen {
    /* value linear in the move x of its underlying: P&L = slope x, the
     * slopes summed per underlying by qpm__book_prepare */
    QPM__SCEN_LINEAR,
    /* weight x Black-76 USD price B: P&L = weight (B(moved F, moved sigma)
     * - B), the position priced in the option batch */
    QPM__SCEN_BLACK76,
    /* liquidity L over a range: P&L = L (v(moved S) - v(S)), v of
     * pricing/amm_math.h, each position revalued in the scenario loop */
    QPM__SCEN_AMM
} qpm__scen;

/* Value and Greeks of one position at the current market, units of book.h
 * (delta_usd follows as S delta_coin). */
typedef struct qpm__book_row {
    double value_usd, value_coin, delta_coin, gamma, vega, theta, delta_exchange;
} qpm__book_row;

struct qpm__instr {
    const char *name; /* as messages name it: "inverse perp" */
    unsigned needs;   /* QPM__NEEDS_* */
    int option;       /* a European option (QPM__SCEN_BLACK76): in the expiry totals */
    int inverse;      /* coin-settled: its USD value is coins times the spot */
    qpm__ref ref;
    qpm__scen scen;
    /* QPM__SCEN_LINEAR: USD P&L per unit move of the underlying */
    double (*slope)(const qpm_book *b, const qpm__book_pos *p);
    /* QPM__SCEN_BLACK76: USD value per unit of the Black-76 USD price */
    double (*weight)(const qpm_book *b, const qpm__book_pos *p);
    /* Value and Greeks (book prepared; opt is the position's row in the
     * option arrays when scen is QPM__SCEN_BLACK76) */
    void (*row)(const qpm_book *b, const qpm__book_pos *p, size_t opt, qpm__book_row *r);
    /* Perpetuals: the USD funding received per unit of accrued rate, as
     * c + s x in a scenario moving the underlying by x; NULL: no funding */
    void (*funding)(const qpm_book *b, const qpm__book_pos *p, double *c, double *s);
    /* Initial and maintenance margin (USD) with the underlying's prices
     * moved by the factor fx and, for an option, its USD value per coin
     * `mark` in that market; NULL: no margin (spot, AMM) */
    void (*margin)(const qpm_book *b, const qpm__book_pos *p, double fx, double mark, double *im,
                   double *mm);
};

/* The table, indexed by qpm_instrument value. */
extern const qpm__instr qpm__instrs[];

/* The row of instrument code `code`, or NULL when it has none. */
const qpm__instr *qpm__instr_find(int32_t code);

/* QPM_E_INVALID for an unknown code at position i, the message listing
 * every code of the table. */
qpm_status qpm__instr_unknown(size_t i, int32_t code);

/* The row of a position (its code was found when it was added). */
static inline const qpm__instr *qpm__pos_kind(const qpm__book_pos *p)
{
    return &qpm__instrs[p->instr];
}

/* The price position p is marked at (its kind's ref). */
double qpm__instr_ref_price(const qpm_book *b, const qpm__book_pos *p);

/* Kind functions, one file per family. */
void qpm__instr_spot_row(const qpm_book *b, const qpm__book_pos *p, size_t opt, qpm__book_row *r);
/* instr_linear.c: linear futures and perps; spot's slope too */
double qpm__instr_linear_slope(const qpm_book *b, const qpm__book_pos *p);
void qpm__instr_linear_row(const qpm_book *b, const qpm__book_pos *p, size_t opt, qpm__book_row *r);
/* funding of linear and inverse perps (instr_linear.c, instr_inverse.c) */
void qpm__instr_linear_funding(const qpm_book *b, const qpm__book_pos *p, double *c, double *s);
void qpm__instr_inverse_funding(const qpm_book *b, const qpm__book_pos *p, double *c, double *s);
/* margin of the standard model: futures and perps (notional |Q m| times
 * the reference price, or |Q m| USD when inverse), short options */
void qpm__instr_linear_margin(const qpm_book *b, const qpm__book_pos *p, double fx, double mark,
                              double *im, double *mm);
void qpm__instr_inverse_margin(const qpm_book *b, const qpm__book_pos *p, double fx, double mark,
                               double *im, double *mm);
void qpm__instr_option_margin(const qpm_book *b, const qpm__book_pos *p, double fx, double mark,
                              double *im, double *mm);
/* instr_inverse.c: inverse futures and perps */
double qpm__instr_inverse_slope(const qpm_book *b, const qpm__book_pos *p);
void qpm__instr_inverse_row(const qpm_book *b, const qpm__book_pos *p, size_t opt,
                            qpm__book_row *r);
/* instr_amm.c: AMM liquidity positions (v2 and v3) */
void qpm__instr_amm_row(const qpm_book *b, const qpm__book_pos *p, size_t opt, qpm__book_row *r);
/* The scenario form of an AMM position at the current market. */
qpm__book_amm qpm__instr_amm_prepare(const qpm_book *b, const qpm__book_pos *p);
/* instr_option.c: linear and inverse options */
double qpm__instr_option_weight(const qpm_book *b, const qpm__book_pos *p);
void qpm__instr_option_row(const qpm_book *b, const qpm__book_pos *p, size_t opt, qpm__book_row *r);

#endif /* QPM_BOOK_INSTRUMENT_H */
