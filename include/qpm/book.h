/* libqpm book: a crypto-derivatives book (spot, linear and inverse futures,
 * linear and inverse perpetual swaps, linear and inverse European options)
 * held against a market snapshot; its values and Greeks per position, per
 * underlying and per (underlying, expiry); and its USD P&L under joint spot
 * and volatility scenarios by full revaluation, as exchange portfolio margin
 * does.
 *
 * Conventions (those of the reference data)
 * -----------------------------------------
 * - USD numeraire.  Each underlying u ("BTC") has a spot index S > 0, a USD
 *   rate r (continuously compounded per year), an optional perpetual mark
 *   P > 0 and expiries, each with a forward F > 0 and a time T > 0 in years
 *   (ACT/365).  A value in coin is converted to USD at S.
 * - Per position, with signed quantity Q, multiplier m, entry price e, and
 *   B the Black-76 USD price per unit (forward F, strike K, T, r, the
 *   position's sigma):
 *     spot              m = coins per unit   value_usd = Q m S
 *     linear future     m = coins/contract   value_usd = Q m (F - e)
 *     linear perp       m = coins/contract   value_usd = Q m (P - e)
 *     inverse future    m = USD/contract     value_usd = Q m (1/e - 1/F) S
 *     inverse perp      m = USD/contract     value_usd = Q m (1/e - 1/P) S
 *     linear option     m = coins/contract   value_usd = Q m B
 *     inverse option    m = coins/contract   value_usd = Q m (B/F) S
 *     AMM v2 / v3 (experimental)  L = Q m > 0, the liquidity
 *                                 value_usd = L v(S), v of amm.h over
 *                                 [0, +inf) (v2) or [Pa, Pb) (v3)
 *   value_coin = value_usd / S.  Futures and perps are valued at their
 *   unrealised P&L against the entry price: no discounting, no funding.
 * - Greeks, with c = F/S: delta_coin = dV/dS (coins; every F and P of the
 *   underlying move with S in proportion), delta_usd = S delta_coin,
 *   gamma = d2V/dS2 (coins per USD), vega = dV/dsigma for a parallel
 *   absolute shift of every vol, per 1.00, theta = -dV/dT per year with S,
 *   F, P and sigma fixed (options only).  delta_exchange is the
 *   exchange-style coin delta: Q m for spot, linear futures and perps, Q m/F
 *   (inverse future), Q m/P (inverse perp), Q m dB/dF (linear option) and
 *   Q m (dB/dF - B/F) (inverse option, Deribit).  An AMM position's delta
 *   and delta_exchange are the coins it holds, its gamma is that of amm.h
 *   (0 outside its range), its vega 0 and its theta the fees it earns,
 *   fee_rate x value_usd per year; it is in no expiry total.
 * - A scenario moves the spot index, every forward and the perpetual mark of
 *   an underlying by the factor (1 + x), and every option vol of that
 *   underlying by the factor (1 + v); other underlyings, r and T stay fixed.
 *   The vol so scaled is the option's own, or, for an option priced off
 *   its underlying's surface (experimental, qpm_book_set_surface), the
 *   surface's vol of its strike at the base market (sticky strike) or at
 *   its moved log-moneyness ln(K / F(1 + x)) (sticky moneyness): the
 *   dynamics are set per underlying with the surface, and every call below
 *   that moves spots or vols (P&L, grids, margins, liquidation distances,
 *   stresses, limits, the Monte Carlo of risk.h) follows them.
 *   P&L = V(scenario) - V(base) in USD, coin values converted at the moved
 *   spot (plus, with the experimental QPM_BOOK_FUNDING_HOURS > 0, the
 *   perpetuals' funding over that horizon in the moved market).
 *
 * Range: every input is finite and the products above must be too.  A
 * position whose Q m, value or Greek (at the current market), an option
 * weight, a total or a scenario P&L lies beyond the range of double makes
 * the call that needs it fail with QPM_E_OVERFLOW, naming the position, row
 * or scenario, instead of returning an infinity or NaN.
 *
 * Threads: a qpm_book is used by one thread at a time.  With
 * QPM_BOOK_THREADS > 1, qpm_book_pnl and qpm_book_scenario_grid split the
 * scenarios into fixed chunks of QPM_BOOK_CHUNK scenarios shared by the
 * handle's worker threads; each scenario is computed on its own, in a fixed
 * order, so results are bit-identical for any thread count.
 *
 * Memory: the handle allocates when underlyings, expiries or positions are
 * added and when the thread count is raised; the evaluation functions
 * (values, Greeks, P&L, grid) allocate nothing.
 */
#ifndef QPM_BOOK_H
#define QPM_BOOK_H

#include <stddef.h>
#include <stdint.h>

#include "qpm/common.h"
#include "qpm/pricing.h" /* QPM_CALL, QPM_PUT */

#ifdef __cplusplus
extern "C" {
#endif

/* Instrument codes for the int32_t instrument arrays.  Values are stable. */
typedef enum qpm_instrument {
    QPM_INSTR_SPOT = 0,
    QPM_INSTR_LINEAR_FUTURE = 1,
    QPM_INSTR_INVERSE_FUTURE = 2,
    QPM_INSTR_LINEAR_PERP = 3,
    QPM_INSTR_INVERSE_PERP = 4,
    QPM_INSTR_LINEAR_OPTION = 5, /* USD-settled European option */
    QPM_INSTR_INVERSE_OPTION = 6 /* coin-settled European option (Deribit style) */
#ifdef QPM_EXPERIMENTAL
    ,
    /* Experimental (see common.h): liquidity positions in a coin/USD AMM
     * pool whose price is the underlying's spot index (include/qpm/amm.h),
     * added through qpm_book_add_position_columns. */
    QPM_INSTR_AMM_V2 = 7, /* full-range (constant-product, Uniswap v2) share */
    QPM_INSTR_AMM_V3 = 8  /* concentrated liquidity over [price_lower, price_upper) */
#endif
} qpm_instrument;

/* Setting keys for qpm_book_set / qpm_book_get / qpm_book_bounds.  Values
 * are stable and append-only. */
typedef enum qpm_book_key {
    /* Total threads working on one qpm_book_pnl or qpm_book_scenario_grid
     * call, including the caller (1..qpm_max_threads(), default 1).  Raising
     * it starts the handle's worker threads (QPM_E_THREAD / QPM_E_NOMEM on
     * failure, the old setting is kept). */
    QPM_BOOK_THREADS = 0,
    /* Scenarios per work chunk (read-only: 64). */
    QPM_BOOK_CHUNK = 1
#ifdef QPM_EXPERIMENTAL
    ,
    /* Experimental (see common.h).  Funding horizon of the scenario P&L, in
     * hours (0..87600, default 0): qpm_book_pnl and qpm_book_scenario_grid
     * add the funding the perpetual positions receive over this horizon in
     * each scenario's moved market (see qpm_book_set_funding).  0: no
     * funding, and a zero move gives exactly 0. */
    QPM_BOOK_FUNDING_HOURS = 2,
    /* Experimental.  The standard margin model of qpm_book_margin, as
     * fractions in [0, 1] (defaults in brackets):
     * futures and perps, initial and maintenance margin per USD of notional
     * [0.02, 0.01]; short options, initial max(BASE - OTM / S, MIN) S + mark
     * [0.15, 0.10] and maintenance MM S + mark [0.075] per coin of the
     * position. */
    QPM_BOOK_MARGIN_LINEAR_IM = 3,
    QPM_BOOK_MARGIN_LINEAR_MM = 4,
    QPM_BOOK_MARGIN_OPTION_IM = 5,
    QPM_BOOK_MARGIN_OPTION_IM_MIN = 6,
    QPM_BOOK_MARGIN_OPTION_MM = 7,
    /* Experimental.  The portfolio-margin model of
     * qpm_book_portfolio_margin (defaults in brackets): the risk matrix's
     * spot moves, PM_SPOT_STEPS points evenly spaced over [-RANGE, +RANGE]
     * [0.15, 13 points; 2..41], and vol moves -VOL_DOWN, 0 and +VOL_UP as
     * relative shifts of every vol [0.25, 0.5]; the extended moves
     * -EXTENDED and +EXTENDED [0.5] with their losses multiplied by
     * DAMPENER [0.3]; the maintenance margin MM_FACTOR times the initial
     * [0.8].  Fractions in [0, 1] but RANGE and EXTENDED in (0, 0.99] and
     * VOL_UP in [0, 10]. */
    QPM_BOOK_PM_SPOT_RANGE = 8,
    QPM_BOOK_PM_SPOT_STEPS = 9,
    QPM_BOOK_PM_VOL_DOWN = 10,
    QPM_BOOK_PM_VOL_UP = 11,
    QPM_BOOK_PM_EXTENDED = 12,
    QPM_BOOK_PM_DAMPENER = 13,
    QPM_BOOK_PM_MM_FACTOR = 14,
    /* Experimental.  Time decay of scenario revaluations: the calendar days
     * [0, 3650] (default 0) that pass between the base market and the
     * scenarios of qpm_book_pnl, qpm_book_position_pnl,
     * qpm_book_venue_value and qpm_book_scenario_grid (so also of the Monte
     * Carlo, historical simulation, contributions, venue defaults and grid
     * revaluation of risk.h).  Each option is revalued with T - days/365
     * years to expiry (at its intrinsic value at the moved forward once that
     * is <= 0), with its vol (sticky moneyness: the surface's at the
     * shorter expiry); the base value is today's.  Stresses, margins,
     * liquidation distances and limits are instantaneous and ignore it.
     * Funding over the horizon is QPM_BOOK_FUNDING_HOURS. */
    QPM_BOOK_DECAY_DAYS = 15
#endif
} qpm_book_key;

/* Underlying selector of qpm_book_scenario_grid meaning "every underlying". */
#define QPM_BOOK_ALL SIZE_MAX

/* Asset selector of the experimental qpm_book_set_collateral meaning USD (a
 * stablecoin). */
#define QPM_BOOK_USD SIZE_MAX

/* Venue selector of the experimental venue functions meaning "no venue":
 * positions and collateral not tagged with one. */
#define QPM_BOOK_NO_VENUE SIZE_MAX

/* Experimental (see common.h): the sigma of an option position that prices
 * off its underlying's surface (qpm_book_set_surface). */
#define QPM_BOOK_SURFACE_VOL 0.0

/* Opaque book handle. */
typedef struct qpm_book qpm_book;

/* Output arrays of the Greeks functions: each is caller-owned with room for
 * the number of rows the function documents, or NULL when not wanted.  Set
 * `size` to sizeof(qpm_book_out) (fields past `size` count as NULL) after
 * zero-filling the struct.  Units as in the header comment:
 *   value_usd, value_coin, delta_coin (coins), delta_usd (USD),
 *   gamma (coins per USD), vega (USD per 1.00 of vol), theta (USD per year),
 *   delta_exchange (coins). */
typedef struct qpm_book_out {
    size_t size;
    double *value_usd;
    double *value_coin;
    double *delta_coin;
    double *delta_usd;
    double *gamma;
    double *vega;
    double *theta;
    double *delta_exchange;
} qpm_book_out;

/* Creates an empty book (no underlyings, no positions).  alloc: NULL for
 * malloc/free, else copied.  Errors: QPM_E_NULL (out), QPM_E_INVALID (bad
 * allocator), QPM_E_NOMEM.  *out is NULL on failure. */
QPM_API qpm_status qpm_book_create(qpm_book **out, const qpm_alloc *alloc);

/* Frees the book and stops its threads.  NULL is a no-op. */
QPM_API void qpm_book_free(qpm_book *b);

/* Changes a setting (see qpm_book_key).  Errors: QPM_E_NULL, QPM_E_KEY
 * (unknown or read-only key), QPM_E_RANGE (outside qpm_book_bounds or not an
 * integer), QPM_E_THREAD / QPM_E_NOMEM.  On failure the old setting stays. */
QPM_API qpm_status qpm_book_set(qpm_book *b, qpm_book_key key, double value);

/* Reads a setting into *value.  Errors: QPM_E_NULL, QPM_E_KEY. */
QPM_API qpm_status qpm_book_get(const qpm_book *b, qpm_book_key key, double *value);

/* Range [*lo, *hi] that qpm_book_set accepts for `key` (a read-only key: its
 * value).  Errors: QPM_E_NULL, QPM_E_KEY. */
QPM_API qpm_status qpm_book_bounds(qpm_book_key key, double *lo, double *hi);

#ifdef QPM_EXPERIMENTAL
/* Experimental (see common.h).  Describes the setting `key`: its name as
 * in this header, type, bounds, default, whether it is read-only and, for
 * an enumeration, the names of its values; for bindings and tools that
 * build their settings from the library.  Thread-safe.  Errors: QPM_E_NULL
 * (info), QPM_E_INVALID (info->size too small), QPM_E_KEY. */
QPM_API qpm_status qpm_book_describe(qpm_book_key key, qpm_setting_info *info);
#endif

/* ---- market ------------------------------------------------------------- */

/* Adds an underlying named `name` (1..63 bytes, unique in the book) with spot
 * index `spot` > 0 (USD) and USD rate `rate` (finite, |rate| <= 5).  Its
 * index (0, 1, ... in order of addition) goes to *index (may be NULL).
 * Errors: QPM_E_NULL (b, name), QPM_E_INVALID (empty, too long or duplicate
 * name, spot <= 0, rate out of range), QPM_E_NONFINITE, QPM_E_NOMEM. */
QPM_API qpm_status qpm_book_add_underlying(qpm_book *b, const char *name, double spot, double rate,
                                           size_t *index);

/* Number of underlyings in *n.  Errors: QPM_E_NULL. */
QPM_API qpm_status qpm_book_n_underlyings(const qpm_book *b, size_t *n);

/* Index of the underlying named `name` in *index.  Errors: QPM_E_NULL,
 * QPM_E_INVALID (no such name). */
QPM_API qpm_status qpm_book_find_underlying(const qpm_book *b, const char *name, size_t *index);

/* Name of underlying `u` in *name (owned by the book, valid until it is
 * freed).  Errors: QPM_E_NULL, QPM_E_INVALID (u out of range). */
QPM_API qpm_status qpm_book_underlying_name(const qpm_book *b, size_t u, const char **name);

/* Sets the spot index S > 0 of underlying u (forwards and perp mark are not
 * changed).  Errors: QPM_E_NULL, QPM_E_INVALID (u out of range, S <= 0),
 * QPM_E_NONFINITE. */
QPM_API qpm_status qpm_book_set_spot(qpm_book *b, size_t u, double spot);

/* Sets the USD rate of underlying u (|rate| <= 5).  Errors as
 * qpm_book_set_spot. */
QPM_API qpm_status qpm_book_set_rate(qpm_book *b, size_t u, double rate);

/* Sets the perpetual mark P > 0 of underlying u; needed before perpetual
 * positions on u are added.  Errors as qpm_book_set_spot. */
QPM_API qpm_status qpm_book_set_perp(qpm_book *b, size_t u, double mark);

#ifdef QPM_EXPERIMENTAL
/* Experimental (see common.h).  Sets the funding rates of underlying u's
 * perpetuals, per 8 hours as a fraction of the notional (0.0001 = 0.01%,
 * the usual exchange quote; positive: longs pay shorts): `current` for the
 * next 8 hours, `expected` after them (both finite, |rate| <= 1; default
 * 0).  Funding accrues continuously: over h hours a position receives
 * -notional x (current min(h, 8) + expected max(h - 8, 0)) / 8, with the
 * notional Q m P USD for a linear perp; an inverse perp pays Q m / P coins
 * per unit of rate, worth Q m S / P USD.  Exchanges fix the rate from a
 * premium index with a dampener and a cap: qpm_funding_rate (carry.h).
 * Errors: QPM_E_NULL, QPM_E_INVALID (u out of range, |rate| > 1),
 * QPM_E_NONFINITE. */
QPM_API qpm_status qpm_book_set_funding(qpm_book *b, size_t u, double current, double expected);

/* Experimental (see common.h).  Funding received (USD, negative: paid) over
 * `hours` (>= 0, finite) at the current market, per position into
 * position_usd (qpm_book_n_positions rows; 0 for every kind but perps) and
 * per underlying into underlying_usd (qpm_book_n_underlyings rows); either
 * may be NULL.  hours = 24 gives the carry per day.  Errors: QPM_E_NULL (b),
 * QPM_E_INVALID (hours < 0), QPM_E_NONFINITE, QPM_E_OVERFLOW (an amount
 * beyond the range of double; outputs untouched). */
QPM_API qpm_status qpm_book_funding(qpm_book *b, double hours, double *position_usd,
                                    double *underlying_usd);
#endif

#ifdef QPM_EXPERIMENTAL
/* A volatility surface (include/qpm/surface.h). */
typedef struct qpm_surface qpm_surface;

/* How the vols of options priced off a surface move with the spot in
 * scenarios (qpm_book_set_surface). */
typedef enum qpm_book_vol_dynamics {
    /* Sticky strike: an option keeps the vol of its strike at the book's
     * market; scenario vol shifts scale it. */
    QPM_BOOK_STICKY_STRIKE = 0,
    /* Sticky moneyness: the smile moves with the forward; in a scenario an
     * option's vol is read from the surface again at its moved
     * log-moneyness ln(K / F'), then scaled by the scenario's vol shift. */
    QPM_BOOK_STICKY_MONEYNESS = 1
} qpm_book_vol_dynamics;

/* Experimental (see common.h).  Attaches a copy of the vol surface s
 * (surface.h; at least one slice) to underlying u, with the vol dynamics
 * dyn of its scenarios; s NULL detaches it.  Option positions on u added
 * with sigma = QPM_BOOK_SURFACE_VOL (0) price off it: at the book's market
 * an option of strike K and expiry T (years) has the vol sqrt(w(T, k) / T)
 * of the surface's total variance w at k = ln(K / F), F the option's
 * forward in the book (qpm_book_set_forward; not the surface's own
 * forwards), read again whenever the market changes, so that values,
 * Greeks (Black-76 Greeks at that vol: sticky strike), margins, P&L,
 * stresses and the Monte Carlo see the smile.  Options with a vol of their
 * own keep it.  Replacing a surface reprices its options.  The book copies
 * s: later changes to s do not reach it, and s may be freed.  Errors:
 * QPM_E_NULL (b), QPM_E_INVALID (u out of range, dyn unknown, s without
 * slices), QPM_E_STATE (s NULL while positions on u price off the surface;
 * the message names one), QPM_E_NOMEM; the book is unchanged on error. */
QPM_API qpm_status qpm_book_set_surface(qpm_book *b, size_t u, const qpm_surface *s,
                                        qpm_book_vol_dynamics dyn);

/* Experimental (see common.h).  Adds a venue or protocol (an exchange, a
 * lending protocol, a pool) that positions and collateral can be tagged
 * with, so that what is held there can be reported and failed together;
 * its index (0, 1, ... in order of addition) goes to *index (optional).
 * Errors: QPM_E_NULL (b, name), QPM_E_INVALID (name empty, 64 bytes or
 * longer, or already a venue of the book), QPM_E_NOMEM. */
QPM_API qpm_status qpm_book_add_venue(qpm_book *b, const char *name, size_t *index);

/* Experimental (see common.h).  Number of venues in *n.  Errors:
 * QPM_E_NULL. */
QPM_API qpm_status qpm_book_n_venues(const qpm_book *b, size_t *n);

/* Experimental (see common.h).  Index of the venue called `name` in
 * *index.  Errors: QPM_E_NULL, QPM_E_INVALID (no such venue). */
QPM_API qpm_status qpm_book_find_venue(const qpm_book *b, const char *name, size_t *index);

/* Experimental (see common.h).  Name of venue v in *name (owned by the
 * book, valid until it is freed).  Errors: QPM_E_NULL, QPM_E_INVALID (v out
 * of range). */
QPM_API qpm_status qpm_book_venue_name(const qpm_book *b, size_t v, const char **name);

/* Experimental (see common.h).  Sets the collateral the account holds at
 * `venue` (a venue index, or QPM_BOOK_NO_VENUE for collateral not tagged
 * with one) in `asset`: an underlying's coin (its index; valued at its
 * spot, so it moves in scenarios) or QPM_BOOK_USD (valued at 1), `amount`
 * units (finite, >= 0) counted at (1 - haircut) of their value (0 <=
 * haircut < 1).  Replaces that venue's previous amount of the asset; the
 * account's collateral in an asset is its sum over the venues.  Errors:
 * QPM_E_NULL, QPM_E_INVALID (venue or asset out of range, amount < 0,
 * haircut outside [0, 1)), QPM_E_NONFINITE, QPM_E_NOMEM; the book is
 * unchanged on error. */
QPM_API qpm_status qpm_book_set_collateral(qpm_book *b, size_t venue, size_t asset, double amount,
                                           double haircut);

/* Experimental (see common.h).  The account's margin under the standard
 * model (keys QPM_BOOK_MARGIN_*), in USD at the current market:
 *   equity = sum of collateral x price x (1 - haircut) + sum of position
 *            values (value_usd: unrealised P&L of futures and perps, option
 *            and AMM values, spot holdings);
 *   a future or perp: initial IM |Q m| F and maintenance MM |Q m| F (F its
 *            reference price; an inverse one's notional is |Q m| USD);
 *   a short option (Q < 0), per coin |Q m|: initial max(BASE - OTM/S, MIN)
 *            S + mark, maintenance MM S + mark, with OTM = max(K - S, 0)
 *            for a call and max(S - K, 0) for a put, mark its USD value per
 *            coin; long options, spot and AMM positions need no margin.
 * Outputs (each optional): *equity, *initial, *maintenance (totals),
 * position_im and position_mm (qpm_book_n_positions rows).  The account is
 * liquidated when equity falls below the maintenance margin.  Errors:
 * QPM_E_NULL (b), QPM_E_OVERFLOW (as qpm_book_position_greeks; outputs
 * untouched). */
QPM_API qpm_status qpm_book_margin(qpm_book *b, double *equity, double *initial,
                                   double *maintenance, double *position_im, double *position_mm);

/* Experimental (see common.h).  qpm_book_margin per venue: for each venue
 * v, equity[v] = its collateral after haircuts plus the value of its
 * positions, and initial[v], maintenance[v] the standard margin of its
 * positions, in USD at the current market: what the account holds at v,
 * and what it would lose if v failed.  Each array has qpm_book_n_venues + 1
 * rows, the last for the positions and collateral without a venue; each
 * may be NULL.  Their sums over the rows are qpm_book_margin's totals (to
 * rounding).  Allocates three arrays of that many rows per call.  Errors:
 * QPM_E_NULL (b), QPM_E_NOMEM, QPM_E_OVERFLOW (as qpm_book_margin, or a
 * venue's sum beyond the range of double); outputs untouched on error. */
QPM_API qpm_status qpm_book_venue_margin(qpm_book *b, double *equity, double *initial,
                                         double *maintenance);

/* Experimental (see common.h).  The portfolio-margin model (keys
 * QPM_BOOK_PM_*): for each underlying u, its risk matrix (every spot move
 * of the matrix times the three vol moves, applied to u alone, as
 * qpm_book_scenario_grid: full revaluation, funding included when
 * QPM_BOOK_FUNDING_HOURS > 0) and its two extended moves at unchanged
 * vols; its initial margin is the largest of 0, the worst loss of the
 * matrix and DAMPENER times the worst extended loss.  The account's
 * initial margin is their sum over the underlyings (no offset between
 * them), its maintenance margin MM_FACTOR times that.  Outputs (each
 * optional): *initial, *maintenance (USD) and per_underlying
 * (qpm_book_n_underlyings rows of initial margin).  Compare with equity
 * from qpm_book_margin.  Allocates nothing.  Errors: QPM_E_NULL (b),
 * QPM_E_STATE (no underlyings), errors of qpm_book_scenario_grid (a move
 * that takes a price or vol out of range), QPM_E_OVERFLOW; outputs
 * untouched on error. */
QPM_API qpm_status qpm_book_portfolio_margin(qpm_book *b, double *initial, double *maintenance,
                                             double *per_underlying);

/* Experimental (see common.h).  The account over a risk matrix: for every
 * spot shift spot_shifts[i] and vol shift vol_shifts[j] (factors 1 + shift,
 * as qpm_book_scenario_grid) applied to underlying u (or to every
 * underlying together when u is QPM_BOOK_ALL), the equity and the
 * maintenance margin (qpm_book_margin) in that market into
 * equity[i*n_vol + j] and maintenance[i*n_vol + j] (either may be NULL):
 * their ratio maintenance / equity is the margin ratio at that cell (the
 * account is liquidated where it reaches 1 or equity is not positive).
 * Options are repriced in each cell's market, with the cell's vols, for
 * both their values and their margins; funding is not included.  vol_shifts
 * may be NULL with n_vol = 1.  Allocates nothing.  Errors: QPM_E_NULL (b,
 * spot_shifts; vol_shifts with n_vol > 1), QPM_E_SIZE (n_spot or n_vol =
 * 0), QPM_E_STATE (no underlyings), QPM_E_INVALID (u out of range, a shift
 * <= -1 or one that takes a price or vol out of the floating-point range),
 * QPM_E_NONFINITE, QPM_E_OVERFLOW (a cell's equity or margin beyond the
 * range of double, naming the cell: the outputs are then written but not
 * meaningful); outputs untouched on any other error. */
QPM_API qpm_status qpm_book_margin_grid(qpm_book *b, size_t u, size_t n_spot,
                                        const double *spot_shifts, size_t n_vol,
                                        const double *vol_shifts, double *equity,
                                        double *maintenance);

/* Experimental (see common.h).  Liquidation distance with every coin moving
 * together: a move x of the market takes underlying u's prices by the
 * factor 1 + betas[u] x (betas finite, one per underlying; their vols
 * fixed); *down <= 0 and *up >= 0 are the moves x nearest 0 at which
 * equity falls to the maintenance margin (qpm_book_margin), by full
 * revaluation of the whole account and the search of qpm_book_liquidation
 * over the moves that keep every factor > 0 (down to -1/max beta and up to
 * 1/|min beta|, 99 at most; so a move found below -1 when every beta is
 * under 1): *down = -1 or *up = +inf when none is found within them; both 0 when the account is
 * below maintenance already. Allocates the moved factors per call.  Errors: QPM_E_NULL (b, betas),
 * QPM_E_STATE (no underlyings), QPM_E_NONFINITE (a beta), QPM_E_NOMEM,
 * QPM_E_OVERFLOW; outputs untouched on error. */
QPM_API qpm_status qpm_book_liquidation_joint(qpm_book *b, const double *betas, double *down,
                                              double *up);

/* Experimental (see common.h).  Leverage of the account at the current
 * market: *gross = sum over positions of |notional| / equity and *net =
 * (sum of the positions' delta_usd plus the coin collateral at its full
 * value) / equity, with equity as qpm_book_margin counts it.  Notional:
 * |Q m| S for spot and options (in underlying coins at the spot), |Q m| F
 * for linear futures and perps at their reference price, |Q m| USD for
 * inverse ones, the value for AMM positions.  Outputs (each optional) also
 * *gross_notional and *net_delta_usd (USD).  Errors: QPM_E_NULL (b),
 * QPM_E_STATE (equity <= 0: leverage is undefined; the message gives it),
 * QPM_E_OVERFLOW; outputs untouched on error. */
QPM_API qpm_status qpm_book_leverage(qpm_book *b, double *gross, double *net,
                                     double *gross_notional, double *net_delta_usd);

/* Experimental (see common.h).  Liquidation distance of underlying u: the
 * spot move x of u alone (its forwards and perp mark moving with it, every
 * other underlying fixed, no vol move, no funding: equity as
 * qpm_book_margin counts it) at which equity falls to the maintenance
 * margin, by full revaluation of u's positions (options repriced in the
 * moved market, margins recomputed there).  Each direction steps out from 0
 * over a fixed grid of moves (1%, 5%, 15%, 30%, 50%, ... to -99.9999% and
 * +9900%) to the first point at or below maintenance, then refines between
 * it and the point before by regula falsi (Illinois) until the bracket is
 * within 1e-12 in x or equity is within 1e-13 of the account's scale (its
 * equity plus margin) of the maintenance margin; a dip below maintenance
 * that recovers between two grid points is not seen.  *down in [-1, 0] (-1: none before the price
 * falls 99.9999%) and *up in [0, +inf] (+inf: none up to a 100-fold price); both 0 when the account
 * is below maintenance already.  Either output may be NULL. Allocates a workspace for u's options
 * per call.  Errors: QPM_E_NULL (b), QPM_E_INVALID (u out of range), QPM_E_NOMEM, QPM_E_OVERFLOW
 * (as qpm_book_margin, or in a moved market); outputs untouched on error. */
QPM_API qpm_status qpm_book_liquidation(qpm_book *b, size_t u, double *down, double *up);
#endif

/* Sets the forward F > 0 and time to expiry T > 0 (years, <= 100) of the
 * expiry `expiry` (a caller-chosen id >= 0, unique per underlying) of
 * underlying u, adding the expiry when it is new.  Futures and options on
 * (u, expiry) need it first.  Errors: QPM_E_NULL, QPM_E_INVALID (u out of
 * range, expiry < 0, F <= 0, T <= 0 or > 100), QPM_E_NONFINITE,
 * QPM_E_NOMEM. */
QPM_API qpm_status qpm_book_set_forward(qpm_book *b, size_t u, int32_t expiry, double forward,
                                        double T);

/* Number of expiries (all underlyings) in *n.  The expiries are numbered
 * 0..n-1 in order of addition; this is the row order of
 * qpm_book_expiry_greeks.  Errors: QPM_E_NULL. */
QPM_API qpm_status qpm_book_n_expiries(const qpm_book *b, size_t *n);

/* Describes expiry row k: its underlying, id, forward and T (each output may
 * be NULL).  Errors: QPM_E_NULL (b), QPM_E_INVALID (k out of range). */
QPM_API qpm_status qpm_book_expiry(const qpm_book *b, size_t k, size_t *underlying, int32_t *expiry,
                                   double *forward, double *T);

/* ---- positions ---------------------------------------------------------- */

/* Appends n positions, structure-of-arrays, index i of every array
 * describing position i:
 *   instrument   qpm_instrument code
 *   underlying   index of the underlying
 *   expiry       expiry id on that underlying (futures and options)
 *   option_type  QPM_CALL (1) or QPM_PUT (-1) (options)
 *   strike       K > 0 (options)
 *   quantity     signed number of contracts Q, finite
 *   multiplier   m > 0 (see the table in the header comment)
 *   entry_price  e > 0 (futures and perps)
 *   sigma        Black-76 vol > 0 (options); experimental: 0
 *                (QPM_BOOK_SURFACE_VOL) prices off the underlying's surface
 *                (qpm_book_set_surface; QPM_E_INVALID when it has none)
 * A field that does not apply to a position's instrument is ignored (it may
 * be NaN); an array whose field applies to none of the n positions may be
 * NULL.  Perpetual positions need the underlying's perp mark, futures and
 * options their expiry (qpm_book_set_forward).  Every position is checked
 * before any is added (all or nothing).  Errors: QPM_E_NULL (b, or a needed
 * array), QPM_E_SIZE (n = 0), QPM_E_INVALID, QPM_E_NONFINITE, QPM_E_STATE
 * (perp mark not set), QPM_E_OVERFLOW (quantity x multiplier beyond the
 * range of double), QPM_E_NOMEM; the message names the first bad position
 * and field, e.g. "position 3: strike = -5: must be > 0".  AMM positions
 * (experimental) need fields this function does not take: it refuses them
 * (QPM_E_NULL naming the field); add them with
 * qpm_book_add_position_columns. */
QPM_API qpm_status qpm_book_add_positions(qpm_book *b, size_t n, const int32_t *instrument,
                                          const size_t *underlying, const int32_t *expiry,
                                          const int32_t *option_type, const double *strike,
                                          const double *quantity, const double *multiplier,
                                          const double *entry_price, const double *sigma);

#ifdef QPM_EXPERIMENTAL
/* Experimental (see common.h).  Positions for qpm_book_add_position_columns,
 * one array per field (structure of arrays: numpy or pandas columns pass
 * without copies); element i of every array describes position i.
 *
 * Versioning: zero the whole struct, set `size` to
 * sizeof(qpm_book_positions), then the arrays you have.  A program built
 * against an older, shorter struct passes its own size and the fields past
 * it count as NULL.  A newer, longer struct is accepted when every field
 * this library does not know is NULL (zero bytes); else QPM_E_UNSUPPORTED:
 * the caller asks for something this version cannot value.  A size smaller
 * than {size, instrument}, or not `size` plus a whole number of pointers,
 * is QPM_E_INVALID.
 *
 * NULL: `instrument`, `underlying` and `quantity` are always needed (NULL
 * is QPM_E_NULL naming the field).  Every other array may be NULL when none
 * of the n positions needs it; otherwise QPM_E_NULL names the first
 * position that does ("position 3: strike is NULL").  An element a
 * position's instrument does not use is not read (it may be NaN or
 * anything else). */
typedef struct qpm_book_positions {
    size_t size; /* sizeof(qpm_book_positions) as the caller compiled it */
    /* qpm_instrument code.  Every position. */
    const int32_t *instrument;
    /* Index of the underlying, < qpm_book_n_underlyings (0, 1, ... in
     * order of qpm_book_add_underlying).  Every position. */
    const size_t *underlying;
    /* Expiry id on that underlying (the id given to qpm_book_set_forward,
     * which must come first).  Futures and options; perps and spot do not
     * read it. */
    const int32_t *expiry;
    /* QPM_CALL (1) or QPM_PUT (-1).  Options (linear and inverse). */
    const int32_t *option_type;
    /* Strike K > 0, USD per coin.  Options. */
    const double *strike;
    /* Signed number of units or contracts Q, finite (negative = short).
     * Every position. */
    const double *quantity;
    /* Multiplier m > 0: coins per unit (spot) or per contract (linear
     * futures and perps, options of both settlements); USD per contract
     * (inverse futures and perps).  See the table at the top of this
     * header.  Every position (NULL: QPM_E_NULL naming position 0). */
    const double *multiplier;
    /* Entry price e > 0, USD per coin: futures and perps (linear and
     * inverse) are valued at their unrealised P&L against it. */
    const double *entry_price;
    /* Black-76 volatility sigma > 0, per 1.00 per year (0.6 = 60%).
     * Options.  Experimental: 0 (QPM_BOOK_SURFACE_VOL) prices off the
     * underlying's surface (qpm_book_set_surface). */
    const double *sigma;
    /* Lower price Pa >= 0 (finite) and upper price Pb > Pa (+INFINITY
     * allowed) of the range, USD per coin.  AMM v3 positions. */
    const double *price_lower;
    const double *price_upper;
    /* Expected fee yield of the position, per year on its value, >= 0
     * (0.12 = 12%): its theta.  AMM v2 and v3 positions. */
    const double *fee_rate;
    /* Venue index (qpm_book_add_venue) or QPM_BOOK_NO_VENUE.  Every
     * position; NULL: none of them has a venue. */
    const size_t *venue;
} qpm_book_positions;

/* Experimental (see common.h).  Appends n positions described by *p (see
 * qpm_book_positions for the size rules and which arrays each instrument
 * needs); the only way to add AMM positions, whose fields
 * qpm_book_add_positions does not take.  For them quantity x multiplier is
 * the liquidity L and must be > 0 (QPM_E_INVALID).  The checks, all-or-nothing rule, errors and
 * messages are those of qpm_book_add_positions, which is the same function taking separate arrays;
 * both give the same book bit for bit.  A venue that is neither a venue of the book nor
 * QPM_BOOK_NO_VENUE is QPM_E_INVALID naming the position.  Further errors: QPM_E_NULL (p),
 * QPM_E_INVALID (p->size too small or not a whole number of fields), QPM_E_UNSUPPORTED (a field
 * past sizeof(qpm_book_positions) is not NULL). On any error the book is unchanged and usable. */
QPM_API qpm_status qpm_book_add_position_columns(qpm_book *b, size_t n,
                                                 const qpm_book_positions *p);
#endif

/* Removes every position (market and settings stay).  Errors: QPM_E_NULL. */
QPM_API qpm_status qpm_book_clear_positions(qpm_book *b);

/* Number of positions in *n.  Errors: QPM_E_NULL. */
QPM_API qpm_status qpm_book_n_positions(const qpm_book *b, size_t *n);

/* ---- values and Greeks ---------------------------------------------------- */

/* Value and Greeks of every position (arrays of qpm_book_n_positions
 * rows, in order of addition).  Errors: QPM_E_NULL (b, out), QPM_E_INVALID
 * (bad out->size), QPM_E_OVERFLOW (a position's value or Greek, an option's
 * Black-76 value or Greek, or a linear slope beyond the range of double at
 * the current market; outputs untouched).  With no positions nothing is
 * written. */
QPM_API qpm_status qpm_book_position_greeks(qpm_book *b, const qpm_book_out *out);

/* Totals per underlying (arrays of qpm_book_n_underlyings rows; an
 * underlying without positions gets zeros).  Errors as
 * qpm_book_position_greeks, and QPM_E_OVERFLOW for a requested total
 * beyond the range of double (outputs untouched). */
QPM_API qpm_status qpm_book_underlying_greeks(qpm_book *b, const qpm_book_out *out);

/* Totals of the OPTION positions per expiry (arrays of qpm_book_n_expiries
 * rows, see qpm_book_expiry): the risk matrix by underlying and expiry.
 * Futures are left out.  Errors as qpm_book_position_greeks. */
QPM_API qpm_status qpm_book_expiry_greeks(qpm_book *b, const qpm_book_out *out);

/* ---- scenarios ------------------------------------------------------------ */

/* Full-revaluation USD P&L of the whole book under n joint scenarios.
 * Scenario s moves every underlying u's spot index, forwards and perp mark
 * by the factor (1 + spot_moves[s*ld_spot + u]) and every option vol on u by
 * the factor (1 + vol_shifts[s*ld_vol + u]); vol_shifts may be NULL (no vol
 * move, ld_vol ignored).  pnl_usd[s] = V(scenario) - V(base), coin values
 * converted at the moved spot; a zero move gives exactly 0.  Options are
 * repriced in closed form (Black-76 on the moved forward), to within a few
 * ulp of D (F + K) per option in absolute terms: by a kernel vectorised
 * over the scenarios on x86-64 CPUs with AVX2 and FMA (the same bits with
 * or without AVX-512, and for any split of the scenarios into calls),
 * elsewhere through the pricer; options whose vol is read from a surface
 * in every scenario (sticky moneyness) take it in the same kernel, from
 * the surface's total variance at the moved log-moneyness.  ld_spot and
 * ld_vol >= qpm_book_n_underlyings.  Every move must be finite and > -1,
 * and a moved price or vol must stay finite.  Allocates nothing; uses the
 * handle's threads (QPM_BOOK_THREADS).
 * Errors: QPM_E_NULL (b, spot_moves, pnl_usd), QPM_E_SIZE (n = 0, ld too
 * small), QPM_E_STATE (no underlyings), QPM_E_NONFINITE, QPM_E_INVALID
 * (the message names the scenario and the underlying), QPM_E_OVERFLOW (the
 * book's base values, as qpm_book_position_greeks; or a scenario's P&L
 * beyond the range of double, naming the first such scenario: pnl_usd is
 * then written but not meaningful).  Moves are checked before any output is
 * written: on any other failure pnl_usd is untouched. */
QPM_API qpm_status qpm_book_pnl(qpm_book *b, size_t n, const double *spot_moves, size_t ld_spot,
                                const double *vol_shifts, size_t ld_vol, double *pnl_usd);

#ifdef QPM_EXPERIMENTAL
/* Experimental (see common.h).  qpm_book_pnl position by position: the
 * USD P&L of position i under scenario s (the moves of qpm_book_pnl) into
 * pnl[s*ld_pnl + i], n x qpm_book_n_positions values (ld_pnl >= the number
 * of positions); row s sums to qpm_book_pnl's P&L of scenario s (to
 * rounding), funding included when QPM_BOOK_FUNDING_HOURS > 0.  For
 * attribution (risk contributions, the P&L of a stress by position): one
 * thread, a full revaluation of every position per scenario.  Allocates a
 * workspace per call.  Errors: those of qpm_book_pnl, QPM_E_NULL (pnl),
 * QPM_E_SIZE (ld_pnl too small), QPM_E_NOMEM, QPM_E_OVERFLOW (a position's
 * P&L beyond the range of double: pnl is then written but not
 * meaningful); moves are checked before any output is written. */
QPM_API qpm_status qpm_book_position_pnl(qpm_book *b, size_t n, const double *spot_moves,
                                         size_t ld_spot, const double *vol_shifts, size_t ld_vol,
                                         double *pnl, size_t ld_pnl);

/* Experimental (see common.h).  What each venue holds under n scenarios
 * (the moves of qpm_book_pnl): the value of its positions plus its
 * collateral at full value (no haircut; coins at the moved spot), USD,
 * into value[s*ld_value + v] for the venues v = 0..qpm_book_n_venues - 1
 * and v = qpm_book_n_venues for what has no venue (ld_value >= venues +
 * 1): what a failure of the venue in that scenario would take.  One
 * thread; allocates a workspace per call.  Errors: those of qpm_book_pnl,
 * QPM_E_NULL (value), QPM_E_SIZE (ld_value too small), QPM_E_NOMEM,
 * QPM_E_OVERFLOW (value written but not meaningful); moves are checked
 * before any output is written. */
QPM_API qpm_status qpm_book_venue_value(qpm_book *b, size_t n, const double *spot_moves,
                                        size_t ld_spot, const double *vol_shifts, size_t ld_vol,
                                        double *value, size_t ld_value);
#endif

/* Scenario grid: the P&L for every spot shift x spot_shifts[i] and vol shift
 * vol_shifts[j] applied to underlying u (or to every underlying together
 * when u is QPM_BOOK_ALL), into pnl_usd[i*n_vol + j] (n_spot*n_vol values).
 * vol_shifts may be NULL with n_vol = 1 (no vol move).  The worst loss
 * -min(pnl_usd) (positive = loss) goes to *worst_loss and its row i*n_vol+j
 * (the first, on ties) to *worst_index; both optional.
 * Errors: QPM_E_NULL, QPM_E_SIZE (n_spot or n_vol = 0), QPM_E_INVALID (u out
 * of range, a shift <= -1), QPM_E_NONFINITE, QPM_E_OVERFLOW (as
 * qpm_book_pnl: pnl_usd then written, the worst loss untouched); outputs
 * untouched on any other failure. */
QPM_API qpm_status qpm_book_scenario_grid(qpm_book *b, size_t u, size_t n_spot,
                                          const double *spot_shifts, size_t n_vol,
                                          const double *vol_shifts, double *pnl_usd,
                                          double *worst_loss, size_t *worst_index);

#ifdef __cplusplus
}
#endif

#endif /* QPM_BOOK_H */
