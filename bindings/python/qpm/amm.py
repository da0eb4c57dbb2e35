"""Liquidity positions in automated-market-maker pools that pair a coin with
USD (a stablecoin taken at par), and swaps against such pools.

Experimental: these wrap libqpm's experimental tier (``include/qpm/amm.h``);
their names and signatures may change in any minor release.

Conventions are the library's: the pool price P is USD per coin; the
liquidity L > 0 is in sqrt(coin x USD), the pools' own unit (Uniswap v2 and
v3).  A concentrated-liquidity (v3) position holds L over the price range
``[lower, upper)``; ``lower=None`` means 0 and ``upper=None`` means +inf, so
both None give a full-range (v2, constant-product) share: coin = L/sqrt(P),
usd = L sqrt(P), value = 2 L sqrt(P).  delta = dvalue/dP = the coins held,
gamma = d2value/dP2 (0 outside the range).  Swaps pay a fee in [0, 1) on the
amount in; the price impact is |average execution price / P - 1|, fee
included.

Batch arguments (:func:`lp_position`, :func:`impermanent_loss`) may be
scalars or 1-D arrays and broadcast as :meth:`qpm.Pricer.price` does:
scalars are repeated, arrays must agree in length; all-scalar inputs give
floats, pandas Series give results on their index.  Bad input raises the
:class:`QpmError` subclass of the library's status with its message, in this
module's argument names (``price[3] = -1: must be > 0``).
"""
from __future__ import annotations

import ctypes
import enum
import math
from typing import Any, Dict, NamedTuple, Optional, Union, overload

from . import _arrays, _labels, _lib
from ._errors import check, register_enum, register_names
from ._typing import ArrayLike, FloatArray, Real

__all__ = ["AmmSide", "LpLiquidity", "Swap", "SwapV3", "POSITION_FIELDS", "lp_position",
           "liquidity_from_amounts", "impermanent_loss", "swap_v2", "swap_v3"]

_vp = ctypes.c_void_p
_sz = ctypes.c_size_t
_int = ctypes.c_int
_d = ctypes.c_double

# experimental tier
_lib.declare("qpm_amm_position", _int, _sz, _vp, _vp, _vp, _vp, _vp, _vp, _vp, _vp, _vp)
_lib.declare("qpm_amm_liquidity", _int, _d, _d, _d, _d, _d, _vp, _vp, _vp)
_lib.declare("qpm_amm_impermanent_loss", _int, _sz, _vp, _vp, _vp, _vp, _vp)
_lib.declare("qpm_amm_swap_v2", _int, _d, _d, _d, _int, _d, _vp, _vp, _vp)
_lib.declare("qpm_amm_swap_v3", _int, _sz, _vp, _vp, _d, _d, _int, _d, _vp, _vp, _vp, _vp)


class AmmSide(enum.IntEnum):
    """Direction of a swap, what the trader pays in (``qpm_amm_side``)."""
    SELL_COIN = 0  #: coins in, USD out: the price falls
    BUY_COIN = 1   #: USD in, coins out: the price rises


register_enum(AmmSide, "QPM_AMM_")
register_names({"qpm_amm_side": "AmmSide", "qpm_amm_position": "lp_position()",
                "qpm_amm_liquidity": "liquidity_from_amounts()",
                "qpm_amm_impermanent_loss": "impermanent_loss()",
                "qpm_amm_swap_v2": "swap_v2()", "qpm_amm_swap_v3": "swap_v3()"})

#: Side of a swap: an :class:`AmmSide`, its value or its name
#: (``"sell_coin"``, ``"buy_coin"``; also ``"sell"``, ``"buy"``).
SideLike = Union[AmmSide, int, str]

#: The outputs of :func:`lp_position`, in the library's order.
POSITION_FIELDS = ("coin", "usd", "value", "delta", "gamma")


class LpLiquidity(NamedTuple):
    """Result of :func:`liquidity_from_amounts`: the liquidity minted and the
    unused remainder of each amount."""
    liquidity: float  #: L, sqrt(coin x USD)
    coin_left: float  #: coins not used
    usd_left: float   #: USD not used


class Swap(NamedTuple):
    """Result of :func:`swap_v2`."""
    amount_out: float   #: USD (selling coin) or coins (buying coin)
    price_after: float  #: the pool price after the trade, USD per coin
    impact: float       #: |average price / price before - 1|, fee included


class SwapV3(NamedTuple):
    """Result of :func:`swap_v3`."""
    amount_out: float   #: USD (selling coin) or coins (buying coin)
    price_after: float  #: where the walk through the intervals stops
    impact: float       #: |average price / price before - 1|, fee included
    ticks_crossed: int  #: number of bounds crossed


_SIDES = {"sell_coin": AmmSide.SELL_COIN, "sell": AmmSide.SELL_COIN,
          "buy_coin": AmmSide.BUY_COIN, "buy": AmmSide.BUY_COIN}


def _side(side: Any) -> int:
    """A side as the C int (an unknown int is left to the library, which
    names the valid values)."""
    if isinstance(side, str):
        try:
            return int(_SIDES[side.lower()])
        except KeyError:
            raise ValueError("unknown side %r; choose from 'sell_coin', 'buy_coin'"
                             % (side,)) from None
    return _arrays.int32(side, "side")


def _batch(values: Dict[str, Any]) -> Any:
    """(n, {name: Vec or None}, all_scalar, index) of the batch arguments;
    None arguments stay None (NULL in C)."""
    given = {k: v for k, v in values.items() if v is not None}
    index = _labels.common_index(list(given.values()), list(given))
    n, vecs, scalar = _arrays.broadcast(list(given.values()), list(given))
    by = dict(zip(given, vecs))
    return n, {k: by.get(k) for k in values}, scalar, index


def _addr(v: Optional[_arrays.Vec]) -> Optional[int]:
    return v.addr if v is not None else None


@overload
def lp_position(price: Real, liquidity: Real,  # type: ignore[misc]
                lower: Optional[Real] = ..., upper: Optional[Real] = ...) -> Dict[str, float]: ...


@overload
def lp_position(price: ArrayLike, liquidity: ArrayLike, lower: Optional[ArrayLike] = ...,
                upper: Optional[ArrayLike] = ...) -> Dict[str, FloatArray]: ...


def lp_position(price: Any, liquidity: Any, lower: Any = None, upper: Any = None) -> Any:
    """Amounts, value and Greeks of liquidity positions (experimental).

    price: pool price P > 0 (USD per coin); liquidity: L > 0; lower, upper:
    the range [Pa, Pb), 0 <= Pa < Pb (upper may be ``math.inf``); None means
    0 and +inf, so both None give full-range (v2) shares.  Returns the
    outputs :data:`POSITION_FIELDS`: ``coin`` (coins held), ``usd`` (USD
    held), ``value`` (USD), ``delta`` (coins per USD of price: the coins
    held) and ``gamma`` (coins per USD^2), as a dict of arrays (lists
    without numpy; floats for all-scalar input), or a DataFrame on the
    index of pandas Series inputs.  Raises QpmInvalidError (P <= 0, L <= 0,
    lower < 0, lower >= upper), QpmNonFiniteError (NaN, an infinite price,
    liquidity or lower), naming the element."""
    n, v, scalar, index = _batch({"price": price, "liquidity": liquidity, "lower": lower,
                                  "upper": upper})
    outs = {f: _arrays.output(n, None, f) for f in POSITION_FIELDS}
    check(_lib.fn("qpm_amm_position")(n, _addr(v["price"]), _addr(v["liquidity"]),
                                      _addr(v["lower"]), _addr(v["upper"]),
                                      *[o.addr for o in outs.values()]),
          {"n": "len(price)"})
    if scalar:
        return {k: float(o.obj[0]) for k, o in outs.items()}
    return _labels.frame_of({k: o.result() for k, o in outs.items()}, index)


def liquidity_from_amounts(price: Real, lower: Optional[Real], upper: Optional[Real],
                           coin: Real, usd: Real) -> LpLiquidity:
    """The liquidity L of a position over [lower, upper) at ``price`` that
    holds ``coin`` coins and ``usd`` USD, as a pool mints it (experimental):
    the largest L both amounts cover (below the range only the coins count,
    above it only the USD), with the unused remainders.  lower None means 0
    and upper None +inf (a full-range share).  Raises QpmInvalidError
    (price <= 0, an amount < 0, lower < 0, lower >= upper, or amounts that
    buy no liquidity) and QpmNonFiniteError."""
    lo = 0.0 if lower is None else _arrays.double(lower, "lower")
    hi = math.inf if upper is None else _arrays.double(upper, "upper")
    L, cl, ul = ctypes.c_double(), ctypes.c_double(), ctypes.c_double()
    check(_lib.fn("qpm_amm_liquidity")(_arrays.double(price, "price"), lo, hi,
                                       _arrays.double(coin, "coin"), _arrays.double(usd, "usd"),
                                       ctypes.byref(L), ctypes.byref(cl), ctypes.byref(ul)))
    return LpLiquidity(L.value, cl.value, ul.value)


@overload
def impermanent_loss(price0: Real, price1: Real,  # type: ignore[misc]
                     lower: Optional[Real] = ..., upper: Optional[Real] = ...) -> float: ...


@overload
def impermanent_loss(price0: ArrayLike, price1: ArrayLike, lower: Optional[ArrayLike] = ...,
                     upper: Optional[ArrayLike] = ...) -> FloatArray: ...


def impermanent_loss(price0: Any, price1: Any, lower: Any = None, upper: Any = None) -> Any:
    """Impermanent loss of positions opened at ``price0`` and valued at
    ``price1`` over [lower, upper) (experimental): the position's value over
    the value of the amounts it held at price0, minus 1 (<= 0, a fraction;
    -0.0572 for a full-range share after the price doubles).  It does not
    depend on L.  lower/upper None: 0 and +inf.  A float for all-scalar
    input, else an array (a Series on the index of Series inputs).  Raises
    as :func:`lp_position`."""
    n, v, scalar, index = _batch({"price0": price0, "price1": price1, "lower": lower,
                                  "upper": upper})
    o = _arrays.output(n)
    check(_lib.fn("qpm_amm_impermanent_loss")(n, _addr(v["price0"]), _addr(v["price1"]),
                                              _addr(v["lower"]), _addr(v["upper"]), o.addr),
          {"n": "len(price0)"})
    if scalar:
        return float(o.obj[0])
    return _labels.series(o.result(), index, "impermanent_loss")


def swap_v2(reserve_coin: Real, reserve_usd: Real, amount_in: Real, side: SideLike,
            fee: Real = 0.003) -> Swap:
    """A swap of ``amount_in`` (coins when selling coin, USD when buying)
    against a constant-product pool with reserves ``reserve_coin`` and
    ``reserve_usd`` and fee ``fee`` in [0, 1) on the amount in
    (experimental): amount_out = R_out a' / (R_in + a') with
    a' = amount_in (1 - fee).  ``side``: :class:`AmmSide` or "sell_coin" /
    "buy_coin".  Returns :class:`Swap`.  Raises QpmInvalidError (a reserve
    or amount_in <= 0, fee outside [0, 1), an unknown side value; an unknown
    side name raises ValueError) and QpmNonFiniteError."""
    s = _side(side)
    out, after, imp = ctypes.c_double(), ctypes.c_double(), ctypes.c_double()
    check(_lib.fn("qpm_amm_swap_v2")(_arrays.double(reserve_coin, "reserve_coin"),
                                     _arrays.double(reserve_usd, "reserve_usd"),
                                     _arrays.double(fee, "fee"), s,
                                     _arrays.double(amount_in, "amount_in"),
                                     ctypes.byref(out), ctypes.byref(after), ctypes.byref(imp)))
    return Swap(out.value, after.value, imp.value)


def swap_v3(bounds: ArrayLike, liquidity: ArrayLike, price: Real, amount_in: Real,
            side: SideLike, fee: Real = 0.003) -> SwapV3:
    """A swap of ``amount_in`` against a concentrated-liquidity pool at
    ``price`` whose active liquidity is ``liquidity[k]`` (>= 0) on the
    interval [bounds[k], bounds[k + 1]) (experimental).  ``bounds``: n + 1
    strictly increasing finite prices > 0 (the initialised ticks),
    ``liquidity``: n values; ``price`` within [bounds[0], bounds[n]]; fee in
    [0, 1) on the amount in.  The trade walks through as many intervals as
    it needs; an interval of zero liquidity is crossed at no cost.  Returns
    :class:`SwapV3` (with the number of bounds crossed).  Raises
    QpmInfeasibleError when the pool's liquidity in that direction cannot
    fill the trade (the message gives the most it takes), QpmInvalidError
    and QpmNonFiniteError for bad input, ValueError when len(bounds) is not
    len(liquidity) + 1."""
    b = _arrays.vector(bounds, "bounds")
    liq = _arrays.vector(liquidity, "liquidity")
    if b.n != liq.n + 1:
        raise ValueError("bounds has %d values, liquidity %d: need len(bounds) = "
                         "len(liquidity) + 1" % (b.n, liq.n))
    s = _side(side)
    out, after, imp = ctypes.c_double(), ctypes.c_double(), ctypes.c_double()
    crossed = ctypes.c_size_t()
    check(_lib.fn("qpm_amm_swap_v3")(liq.n, b.addr, liq.addr, _arrays.double(price, "price"),
                                     _arrays.double(fee, "fee"), s,
                                     _arrays.double(amount_in, "amount_in"),
                                     ctypes.byref(out), ctypes.byref(after), ctypes.byref(imp),
                                     ctypes.byref(crossed)),
          {"n": "len(liquidity)"})
    return SwapV3(out.value, after.value, imp.value, int(crossed.value))
