"""Stress scenarios on a book held as an account: a market gap with a
term-scaled vol spike, closing costs, venue or protocol failures, a
manipulated oracle and a stablecoin depeg, applied by full revaluation
(``qpm_book_stress``), and the report of what they do.

Experimental: this wraps libqpm's experimental tier (``include/qpm/stress.h``);
names and signatures may change in any minor release.

A :class:`Shock` holds the parts of one scenario (see the C header for the
exact rules):

- ``spot_moves``: relative move of every price of an underlying (spot index,
  forwards, perpetual mark), > -1;
- ``vol_shifts``: relative vol shift at the reference expiry, each option's
  vol moved by the factor ``1 + v (vol_term_ref / T)^vol_term_power``
  (power 0: every expiry alike; 0.5: short expiries move most);
- ``liquidity_cost``: closing cost per USD of gross notional, in [0, 1];
- ``venue_recovery``: fraction of a venue's holdings (positions and
  collateral) recovered, in [0, 1]; a venue below 1 has failed;
- ``mark_deviation``: relative deviation of the price the venues see from
  the index (their equity and margin are computed there; the P&L is not);
- ``usd_depeg``: discount of USD collateral, in [0, 1).

Per-underlying parts take a scalar (every underlying), a sequence in the
book's underlying order, or a mapping (dict, pandas Series) by underlying
name, names left out not moving; ``venue_recovery`` the same by venue name
(left out: 1).  The named builders :func:`cascade`, :func:`venue_failure`,
:func:`oracle` and :func:`depeg` make the usual ones; :func:`combine` joins
shocks (moves and deviations compound, recoveries multiply, costs add).
:func:`stress` applies one and returns a :class:`StressReport`;
:func:`stress_table` runs a table of them (a dict of shocks, or a DataFrame
with one row per scenario and columns ``spot:BTC``, ``vol:BTC``,
``cost:BTC``, ``mark:BTC``, ``recovery:<venue>``, ``depeg``,
``vol_term_power``, ``vol_term_ref``).
"""
from __future__ import annotations

import ctypes
from typing import Any, Dict, List, NamedTuple, Optional, Sequence, Union

from . import _arrays, _labels, _lib
from ._errors import register_names

__all__ = ["Shock", "StressReport", "LimitReport", "LIMITS", "cascade", "venue_failure",
           "oracle", "depeg", "combine", "stress", "stress_table", "limits"]

_vp = ctypes.c_void_p
_int = ctypes.c_int
_d = ctypes.c_double


class _Stress(ctypes.Structure):
    """``qpm_stress`` (experimental): a size, then its fields."""
    _fields_ = [("size", ctypes.c_size_t), ("spot_moves", _vp), ("vol_shifts", _vp),
                ("vol_term_power", _d), ("vol_term_ref", _d), ("liquidity_cost", _vp),
                ("venue_recovery", _vp), ("mark_deviation", _vp), ("usd_depeg", _d)]


class _StressOut(ctypes.Structure):
    """``qpm_stress_out`` (experimental)."""
    _fields_ = [("size", ctypes.c_size_t), ("pnl", _d), ("liquidity_cost", _d), ("equity", _d),
                ("maintenance", _d), ("position_pnl", _vp), ("underlying_pnl", _vp),
                ("venue_pnl", _vp), ("venue_equity", _vp), ("venue_maintenance", _vp),
                ("venue_liquidated", _vp)]


#: the limits of :func:`limits`, in the library's order (``qpm_limit_kind``)
LIMITS = ("var", "es", "gross_leverage", "net_leverage", "margin_ratio")


class _Limits(ctypes.Structure):
    """``qpm_limits`` (experimental)."""
    _fields_ = [("size", ctypes.c_size_t), ("limit", _d * 5)]


class _LimitReport(ctypes.Structure):
    """``qpm_limit_report`` (experimental)."""
    _fields_ = [("size", ctypes.c_size_t), ("value", _d * 5), ("breached", ctypes.c_int32 * 5),
                ("scale", _d * 5), ("n_breached", ctypes.c_int32), ("scale_all", _d)]


_lib.declare("qpm_book_stress", _int, _vp, _vp, _vp)  # experimental tier
_lib.declare("qpm_book_limits", _int, _vp, _d, _d, _vp, _vp)  # experimental tier
register_names({"qpm_book_stress": "stress()", "qpm_book_limits": "limits()"})

_UNDER_FIELDS = ("spot_moves", "vol_shifts", "liquidity_cost", "mark_deviation")
#: the column prefixes of :func:`stress_table`
_PREFIX = {"spot": "spot_moves", "vol": "vol_shifts", "cost": "liquidity_cost",
           "mark": "mark_deviation", "recovery": "venue_recovery"}


class Shock(NamedTuple):
    """One stress scenario (see the module documentation); every part
    optional.  Build it directly or with the named builders."""
    spot_moves: Any = None
    vol_shifts: Any = None
    vol_term_power: float = 0.0
    vol_term_ref: float = 30.0 / 365.0
    liquidity_cost: Any = None
    venue_recovery: Any = None
    mark_deviation: Any = None
    usd_depeg: float = 0.0


class StressReport(NamedTuple):
    """Result of :func:`stress`: the P&L (USD) at the moved index, and the
    account after the shock as the venues see it.  Arrays (lists without
    numpy), or Series labelled by position, underlying and venue (the last
    venue row, label None, is what has no venue) when the book returns
    frames (:attr:`qpm.Book.frames`)."""
    pnl: float             #: total USD P&L, closing cost included
    liquidity_cost: float  #: total closing cost, USD
    equity: float          #: equity after the shock at the marks, USD
    maintenance: float     #: maintenance margin after the shock, USD
    position: Any          #: P&L per position
    underlying: Any        #: P&L per underlying (its positions and its coin collateral)
    venue_pnl: Any         #: P&L per venue
    venue_equity: Any      #: equity per venue after the shock (a failed one: what it recovers)
    venue_maintenance: Any  #: maintenance margin per venue after the shock
    venue_liquidated: Any  #: True where a surviving venue's equity is below maintenance


def cascade(gap: Any, vol_spike: Any = 0.0, liquidity: Any = 0.0, *, betas: Any = None,
            term_power: float = 0.5, term_ref: float = 30.0 / 365.0) -> Shock:
    """A liquidation cascade: every coin gaps together by ``gap`` (times its
    beta when ``betas`` is given, a mapping or sequence; correlations at
    1), vols spike by ``vol_spike`` at ``term_ref`` years scaled by
    ``(term_ref / T)^term_power``, and closing costs ``liquidity`` per USD
    of notional.  Scalars apply to every underlying; mappings and
    sequences as in :class:`Shock`."""
    moves: Any = gap
    if betas is not None:
        if hasattr(betas, "keys"):
            g = _arrays.double(gap, "gap")
            moves = {k: g * _arrays.double(betas[k], "betas[%s]" % k) for k in betas.keys()}
        else:
            g = _arrays.double(gap, "gap")
            moves = [g * _arrays.double(b, "betas[%d]" % i) for i, b in enumerate(betas)]
    return Shock(spot_moves=moves, vol_shifts=vol_spike, vol_term_power=term_power,
                 vol_term_ref=term_ref, liquidity_cost=liquidity)


def venue_failure(venue: Union[str, Sequence[str]], recovery: float = 0.0) -> Shock:
    """A venue or protocol (a name, or several) fails: its positions and
    collateral are worth ``recovery`` (0: lost) of their value."""
    names = [venue] if isinstance(venue, str) else list(venue)
    return Shock(venue_recovery={v: recovery for v in names})


def oracle(underlying: str, deviation: float) -> Shock:
    """The price the venues see for ``underlying`` deviates from its index
    by ``deviation`` (relative): margin and liquidations follow it, the
    P&L does not."""
    return Shock(mark_deviation={underlying: deviation})


def depeg(discount: float) -> Shock:
    """USD collateral (a stablecoin) trades at ``1 - discount``."""
    return Shock(usd_depeg=discount)


def combine(*shocks: Shock) -> Shock:
    """One shock doing all of ``shocks``: spot moves, vol shifts and mark
    deviations compound ((1 + a)(1 + b) - 1), recoveries multiply, closing
    costs add, depegs compound.  The vol shifts' term parameters must agree
    where more than one shock moves vols (else ValueError).  Parts are
    joined by name for mappings, by place for sequences; a scalar applies
    to every underlying, so it joins with either once :func:`stress`
    knows the underlyings (it is kept as a list of parts until then)."""
    vol = [s for s in shocks if s.vol_shifts is not None]
    if len({(s.vol_term_power, s.vol_term_ref) for s in vol}) > 1:
        raise ValueError("combine: shocks moving vols with different term parameters")
    return Shock(spot_moves=_Parts("spot_moves", shocks), vol_shifts=_Parts("vol_shifts", shocks),
                 vol_term_power=vol[0].vol_term_power if vol else 0.0,
                 vol_term_ref=vol[0].vol_term_ref if vol else 30.0 / 365.0,
                 liquidity_cost=_Parts("liquidity_cost", shocks),
                 venue_recovery=_Parts("venue_recovery", shocks),
                 mark_deviation=_Parts("mark_deviation", shocks),
                 usd_depeg=1.0 - _prod(1.0 - float(s.usd_depeg) for s in shocks))


def _prod(xs: Any) -> float:
    p = 1.0
    for x in xs:
        p *= x
    return p


class _Parts:
    """A field of several shocks, joined when the names are known."""

    __slots__ = ("field", "shocks")

    def __init__(self, field: str, shocks: Sequence[Shock]) -> None:
        self.field = field
        self.shocks = tuple(shocks)


def _resolve(value: Any, names: List[str], field: str, neutral: float) -> Optional[List[float]]:
    """A per-underlying (per-venue) part as a list in ``names`` order, or
    None when absent."""
    if value is None:
        return None
    if isinstance(value, _Parts):
        got = [_resolve(getattr(s, field), names, field, neutral) for s in value.shocks]
        parts = [p for p in got if p is not None]
        if not parts:
            return None
        out = [neutral] * len(names)
        for p in parts:
            for i, x in enumerate(p):
                if field == "liquidity_cost":
                    out[i] += x
                elif field == "venue_recovery":
                    out[i] *= x
                else:
                    out[i] = (1.0 + out[i]) * (1.0 + x) - 1.0
        return out
    if hasattr(value, "keys"):
        unknown = [k for k in value.keys() if k not in names]
        if unknown:
            what = "venues" if field == "venue_recovery" else "underlyings"
            raise ValueError("%s: unknown %s %s (the book has %s)"
                             % (field, what, ", ".join(map(str, unknown)),
                                ", ".join(names) or "none"))
        return [_arrays.double(value[n], "%s[%s]" % (field, n)) if n in value.keys()
                else neutral for n in names]
    if _arrays.is_scalar(value):
        return [_arrays.double(value, field)] * len(names)
    vals = list(value.to_numpy()) if _labels.is_series(value) else list(value)
    if len(vals) != len(names):
        raise ValueError("%s has %d values, the book has %d" % (field, len(vals), len(names)))
    return [_arrays.double(x, "%s[%d]" % (field, i)) for i, x in enumerate(vals)]


def stress(book: Any, shock: Shock) -> StressReport:
    """Applies ``shock`` to ``book`` (a :class:`qpm.Book` with its
    collateral and venues) by full revaluation; the book is not changed.
    Returns a :class:`StressReport`.  Raises ValueError (an unknown
    underlying or venue name, a length that does not match),
    QpmInvalidError (a part out of its range, naming the field and the
    underlying or venue; a moved vol that is not positive, naming the
    position), QpmNonFiniteError and QpmNumericalError (QPM_E_OVERFLOW)."""
    unames, vnames = book.underlyings, book.venues
    s = _Stress(ctypes.sizeof(_Stress))
    keep = []
    for f in _UNDER_FIELDS + ("venue_recovery",):
        names = vnames if f == "venue_recovery" else unames
        lst = _resolve(getattr(shock, f), names, f, 1.0 if f == "venue_recovery" else 0.0)
        if lst is not None and names:
            v = _arrays.vector(lst, f)
            keep.append(v)
            setattr(s, f, v.addr)
    s.vol_term_power = _arrays.double(shock.vol_term_power, "vol_term_power")
    s.vol_term_ref = _arrays.double(shock.vol_term_ref, "vol_term_ref")
    s.usd_depeg = _arrays.double(shock.usd_depeg, "usd_depeg")
    o = _StressOut(ctypes.sizeof(_StressOut))
    np_, nu, nv = book.n_positions, len(unames), len(vnames) + 1
    pos, und = _arrays.output(np_), _arrays.output(nu)
    vp, ve, vm = _arrays.output(nv), _arrays.output(nv), _arrays.output(nv)
    liq = _arrays.output(nv, kind="int32")
    o.position_pnl = pos.addr if np_ else None
    o.underlying_pnl = und.addr if nu else None
    o.venue_pnl, o.venue_equity, o.venue_maintenance = vp.addr, ve.addr, vm.addr
    o.venue_liquidated = liq.addr
    book._c("qpm_book_stress", ctypes.byref(s), ctypes.byref(o))
    flags = [bool(x) for x in liq.result()]
    return StressReport(o.pnl, o.liquidity_cost, o.equity, o.maintenance,
                        book._series(pos.result(), "position", "pnl"),
                        book._series(und.result(), "underlying", "pnl"),
                        book._series(vp.result(), "venue", "pnl"),
                        book._series(ve.result(), "venue", "equity"),
                        book._series(vm.result(), "venue", "maintenance"),
                        book._series(flags, "venue", "liquidated"))


def _shocks_of_frame(df: Any) -> Dict[Any, Shock]:
    out: Dict[Any, Shock] = {}
    for label, row in df.iterrows():
        parts: Dict[str, Dict[str, float]] = {}
        kw: Dict[str, Any] = {}
        for col, val in row.items():
            if val != val:  # NaN: not set in this scenario
                continue
            col = str(col)
            if ":" in col:
                pre, name = col.split(":", 1)
                if pre not in _PREFIX:
                    raise ValueError("column %r: the prefix must be one of %s" %
                                     (col, ", ".join(sorted(_PREFIX))))
                parts.setdefault(_PREFIX[pre], {})[name] = _arrays.double(val, col)
            elif col in ("depeg", "usd_depeg"):
                kw["usd_depeg"] = _arrays.double(val, col)
            elif col in ("vol_term_power", "vol_term_ref"):
                kw[col] = _arrays.double(val, col)
            else:
                raise ValueError("column %r: not a stress part (spot:, vol:, cost:, mark:, "
                                 "recovery:, depeg, vol_term_power, vol_term_ref)" % col)
        out[label] = Shock(**parts, **kw)  # type: ignore[arg-type]
    return out


def stress_table(book: Any, table: Any) -> Any:
    """Runs every scenario of ``table``: a mapping from names to
    :class:`Shock` objects, or a pandas DataFrame with one row per scenario
    (columns ``spot:<underlying>``, ``vol:<underlying>``,
    ``cost:<underlying>``, ``mark:<underlying>``, ``recovery:<venue>``,
    ``depeg``, ``vol_term_power``, ``vol_term_ref``; NaN: not set).
    Returns one row per scenario with the columns ``pnl``,
    ``liquidity_cost``, ``equity``, ``maintenance``, ``liquidated`` (the
    number of venues liquidated), then ``pnl:<underlying>`` and
    ``pnl:<venue>`` (``pnl:-`` for what has no venue): a DataFrame indexed
    by scenario when pandas is loaded, else a dict of lists."""
    shocks = _shocks_of_frame(table) if _labels.is_frame(table) else dict(table)
    cols: Dict[str, List[Any]] = {"pnl": [], "liquidity_cost": [], "equity": [],
                                  "maintenance": [], "liquidated": []}
    unames, vnames = book.underlyings, book.venues
    for n in unames:
        cols["pnl:%s" % n] = []
    for n in vnames + ["-"]:
        cols["pnl:%s" % n] = []
    for sh in shocks.values():
        r = stress(book, sh)
        cols["pnl"].append(r.pnl)
        cols["liquidity_cost"].append(r.liquidity_cost)
        cols["equity"].append(r.equity)
        cols["maintenance"].append(r.maintenance)
        cols["liquidated"].append(int(sum(bool(x) for x in list(r.venue_liquidated))))
        for k, n in enumerate(unames):
            cols["pnl:%s" % n].append(float(list(r.underlying)[k]))
        for k, n in enumerate(vnames + ["-"]):
            cols["pnl:%s" % n].append(float(list(r.venue_pnl)[k]))
    pd = _labels._pd()
    if pd is None:
        return cols
    return pd.DataFrame(cols, index=pd.Index(list(shocks.keys()), name="scenario"))



class LimitReport(NamedTuple):
    """Result of :func:`limits`: one row per limit in :data:`LIMITS` order
    (``limit``: 0 for none; ``value``: the measured quantity, NaN where it
    cannot be measured; ``breached``; ``scale``: the largest uniform scale
    in [0, 1] of every position that clears it, NaN where none does), as a
    DataFrame indexed by limit name when pandas is loaded, else a dict of
    lists; and the scale that clears every limit."""
    table: Any
    n_breached: int
    scale_all: float   #: NaN when no scale in [0, 1] clears every limit


def limits(book: Any, var: Optional[float] = None, es: Optional[float] = None, *,
           var_limit: float = 0.0, es_limit: float = 0.0, gross_leverage: float = 0.0,
           net_leverage: float = 0.0, margin_ratio: float = 0.0) -> LimitReport:
    """Checks the account against its limits (0: none) and reports each
    breach with the uniform scale-down of the positions that clears it
    (``qpm_book_limits``): ``var`` and ``es`` are the book's measured VaR
    and ES in USD (e.g. ``Risk.simulate(book).var``; None when not
    measured), which scale with the positions; gross and net leverage and
    the margin ratio (maintenance / equity) are computed at the current
    market, with the collateral unchanged.  Raises QpmInvalidError (a
    negative limit; a VaR or ES limit without its measure)."""
    L = _Limits(ctypes.sizeof(_Limits))
    vals = (var_limit, es_limit, gross_leverage, net_leverage, margin_ratio)
    for i, (nm, v) in enumerate(zip(LIMITS, vals)):
        L.limit[i] = _arrays.double(v, nm + ("_limit" if i < 2 else ""))
    R = _LimitReport(ctypes.sizeof(_LimitReport))
    nan = float("nan")
    book._c("qpm_book_limits", nan if var is None else _arrays.double(var, "var"),
            nan if es is None else _arrays.double(es, "es"), ctypes.byref(L), ctypes.byref(R))
    cols = {"limit": [float(x) for x in vals], "value": list(R.value),
            "breached": [bool(x) for x in R.breached], "scale": list(R.scale)}
    pd = _labels._pd()
    table: Any = cols if pd is None else pd.DataFrame(cols, index=pd.Index(LIMITS, name="limit"))
    return LimitReport(table, int(R.n_breached), float(R.scale_all))
