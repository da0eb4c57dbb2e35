"""A crypto-derivatives book: spot, linear and inverse futures and perpetual
swaps, linear (USD-settled) and inverse (coin-settled) European options and
(experimental) liquidity positions in coin/USD AMM pools, held against a
market snapshot.

Conventions are the library's (see ``include/qpm/book.h``): USD numeraire,
coin values converted at the spot index S; a scenario moves an underlying's
spot, forwards and perpetual mark by ``(1 + x)`` and its option vols by
``(1 + v)``.  Greeks: ``delta_coin = dV/dS`` (coins), ``delta_usd = S
delta_coin``, ``gamma = d2V/dS2``, ``vega`` per 1.00 of vol (parallel),
``theta = -dV/dT`` per year, ``delta_exchange`` the exchange-style coin delta.
An AMM position (``amm_v2``, ``amm_v3``; experimental) is valued at the
underlying's spot as the pool price, by the closed forms of :mod:`qpm.amm`:
its liquidity is ``quantity x multiplier`` (> 0), its delta the coins it
holds, its vega 0 and its theta the fees it earns, ``fee_rate x value_usd``
per year.

Underlyings are named (``"BTC"``) and may be passed by name or index;
expiries are identified per underlying by a caller-chosen id: an int >= 0 or
any hashable label (``"BTC-E2"``), which the wrapper numbers itself.
"""
from __future__ import annotations

import ctypes
import enum
import math
import numbers
from typing import (Any, Dict, Hashable, Iterator, List, NamedTuple, Optional, Sequence, Tuple,
                    Union)

from . import _arrays, _labels, _lib
from ._errors import PY_CONSTANTS, QpmUnsupportedError, register_enum, register_names
from ._handle import Handle
from ._typing import ArrayLike, FloatArray

__all__ = ["Book", "Instrument", "BookKey", "BookFunding", "BookMargin", "BookLiquidation",
           "BookPortfolioMargin", "BookVenueMargin", "ScenarioGrid", "MarginGrid", "FIELDS",
           "GRID_SPOT_SHIFTS", "GRID_VOL_SHIFTS", "USD"]

_vp = ctypes.c_void_p
_sz = ctypes.c_size_t
_int = ctypes.c_int
_d = ctypes.c_double
_i32 = ctypes.c_int32

#: Output names, in the order of the C struct qpm_book_out.
FIELDS: Tuple[str, ...] = ("value_usd", "value_coin", "delta_coin", "delta_usd", "gamma",
                           "vega", "theta", "delta_exchange")

#: The exchange-style grid: spot shifts k/50 for k = -8..8, vol shifts -30 %, 0, +30 %.
GRID_SPOT_SHIFTS: Tuple[float, ...] = tuple(k / 50 for k in range(-8, 9))
GRID_VOL_SHIFTS: Tuple[float, ...] = (-0.3, 0.0, 0.3)

_ALL = _arrays.SIZE_MAX  # QPM_BOOK_ALL
_USD = _arrays.SIZE_MAX  # QPM_BOOK_USD
_NO_VENUE = _arrays.SIZE_MAX  # QPM_BOOK_NO_VENUE

#: The collateral asset of :meth:`Book.set_collateral` meaning USD (a
#: stablecoin valued at 1; ``QPM_BOOK_USD``).
USD = "USD"
#: the ``sigma`` of an option that prices off its underlying's surface
#: (:meth:`Book.set_surface`; experimental)
SURFACE_VOL = 0.0
_SIZE_KIND = _arrays.SIZE_KIND


class _BookOut(ctypes.Structure):
    _fields_ = [("size", ctypes.c_size_t)] + [(f, ctypes.c_void_p) for f in FIELDS]


#: The columns of ``qpm_book_positions``, in the order of the C struct.  The
#: struct is versioned by its size: fields are only ever appended.
_POSITION_FIELDS = ("instrument", "underlying", "expiry", "option_type", "strike", "quantity",
                    "multiplier", "entry_price", "sigma", "price_lower", "price_upper",
                    "fee_rate", "venue")
#: The fields only AMM positions read, which only the struct passes.
_AMM_FIELDS = ("price_lower", "price_upper", "fee_rate")


class _Positions(ctypes.Structure):
    """``qpm_book_positions`` (libqpm's experimental tier: its fields may
    change between minor releases): a size, then one array per field, so
    numpy and pandas columns pass without copies."""
    _fields_ = [("size", ctypes.c_size_t)] + [(f, ctypes.c_void_p) for f in _POSITION_FIELDS]


_lib.declare("qpm_book_create", _int, _vp, _vp)
_lib.declare("qpm_book_free", None, _vp)
_lib.declare("qpm_book_set", _int, _vp, _int, _d)
_lib.declare("qpm_book_get", _int, _vp, _int, _vp)
_lib.declare("qpm_book_bounds", _int, _int, _vp, _vp)
_lib.declare("qpm_book_describe", _int, _int, _vp)  # experimental tier
_lib.declare("qpm_book_add_underlying", _int, _vp, ctypes.c_char_p, _d, _d, _vp)
_lib.declare("qpm_book_n_underlyings", _int, _vp, _vp)
_lib.declare("qpm_book_find_underlying", _int, _vp, ctypes.c_char_p, _vp)
_lib.declare("qpm_book_underlying_name", _int, _vp, _sz, _vp)
_lib.declare("qpm_book_set_spot", _int, _vp, _sz, _d)
_lib.declare("qpm_book_set_rate", _int, _vp, _sz, _d)
_lib.declare("qpm_book_set_perp", _int, _vp, _sz, _d)
_lib.declare("qpm_book_set_funding", _int, _vp, _sz, _d, _d)  # experimental tier
_lib.declare("qpm_book_funding", _int, _vp, _d, _vp, _vp)  # experimental tier
_lib.declare("qpm_book_set_collateral", _int, _vp, _sz, _sz, _d, _d)  # experimental tier
_lib.declare("qpm_book_add_venue", _int, _vp, ctypes.c_char_p, _vp)  # experimental tier
_lib.declare("qpm_book_set_surface", _int, _vp, _sz, _vp, _int)  # experimental tier
_lib.declare("qpm_book_n_venues", _int, _vp, _vp)  # experimental tier
_lib.declare("qpm_book_find_venue", _int, _vp, ctypes.c_char_p, _vp)  # experimental tier
_lib.declare("qpm_book_venue_name", _int, _vp, _sz, _vp)  # experimental tier
_lib.declare("qpm_book_venue_margin", _int, _vp, _vp, _vp, _vp)  # experimental tier
_lib.declare("qpm_book_margin", _int, _vp, _vp, _vp, _vp, _vp, _vp)  # experimental tier
_lib.declare("qpm_book_liquidation", _int, _vp, _sz, _vp, _vp)  # experimental tier
_lib.declare("qpm_book_portfolio_margin", _int, _vp, _vp, _vp, _vp)  # experimental tier
_lib.declare("qpm_book_liquidation_joint", _int, _vp, _vp, _vp, _vp)  # experimental tier
_lib.declare("qpm_book_leverage", _int, _vp, _vp, _vp, _vp, _vp)  # experimental tier
_lib.declare("qpm_book_margin_grid", _int, _vp, _sz, _sz, _vp, _sz, _vp, _vp,
             _vp)  # experimental tier
_lib.declare("qpm_book_set_forward", _int, _vp, _sz, _i32, _d, _d)
_lib.declare("qpm_book_n_expiries", _int, _vp, _vp)
_lib.declare("qpm_book_expiry", _int, _vp, _sz, _vp, _vp, _vp, _vp)
_lib.declare("qpm_book_add_positions", _int, _vp, _sz, _vp, _vp, _vp, _vp, _vp, _vp, _vp, _vp,
             _vp)
_lib.declare("qpm_book_add_position_columns", _int, _vp, _sz, _vp)  # experimental tier
_lib.declare("qpm_book_clear_positions", _int, _vp)
_lib.declare("qpm_book_n_positions", _int, _vp, _vp)
_lib.declare("qpm_book_position_greeks", _int, _vp, _vp)
_lib.declare("qpm_book_underlying_greeks", _int, _vp, _vp)
_lib.declare("qpm_book_expiry_greeks", _int, _vp, _vp)
_lib.declare("qpm_book_pnl", _int, _vp, _sz, _vp, _sz, _vp, _sz, _vp)
_lib.declare("qpm_book_position_pnl", _int, _vp, _sz, _vp, _sz, _vp, _sz, _vp,
             _sz)  # experimental tier
_lib.declare("qpm_book_venue_value", _int, _vp, _sz, _vp, _sz, _vp, _sz, _vp,
             _sz)  # experimental tier
_lib.declare("qpm_book_scenario_grid", _int, _vp, _sz, _sz, _vp, _sz, _vp, _vp, _vp, _vp)


class Instrument(enum.IntEnum):
    """Instrument codes (``qpm_instrument``)."""
    SPOT = 0
    LINEAR_FUTURE = 1
    INVERSE_FUTURE = 2
    LINEAR_PERP = 3
    INVERSE_PERP = 4
    LINEAR_OPTION = 5   #: USD-settled European option
    INVERSE_OPTION = 6  #: coin-settled European option (Deribit style)
    AMM_V2 = 7  #: experimental: full-range (constant-product, Uniswap v2) pool share
    AMM_V3 = 8  #: experimental: concentrated liquidity over [price_lower, price_upper)


class BookKey(enum.IntEnum):
    """Setting keys of :class:`Book` (``qpm_book_key``)."""
    THREADS = 0  #: threads per P&L call including the caller (default 1)
    CHUNK = 1    #: scenarios per work chunk (read-only)
    #: experimental: funding horizon of the scenario P&L in hours (0..87600,
    #: default 0: no funding)
    FUNDING_HOURS = 2
    #: experimental: the standard margin model of :meth:`Book.margin`, as
    #: fractions in [0, 1]: futures and perps, initial and maintenance
    #: margin per USD of notional (defaults 0.02, 0.01); short options,
    #: initial max(OPTION_IM - OTM / S, OPTION_IM_MIN) S + mark and
    #: maintenance OPTION_MM S + mark per coin (defaults 0.15, 0.10, 0.075)
    MARGIN_LINEAR_IM = 3
    MARGIN_LINEAR_MM = 4
    MARGIN_OPTION_IM = 5
    MARGIN_OPTION_IM_MIN = 6
    MARGIN_OPTION_MM = 7
    #: experimental: the portfolio-margin model of
    #: :meth:`Book.portfolio_margin`: PM_SPOT_STEPS spot moves over
    #: [-PM_SPOT_RANGE, +PM_SPOT_RANGE] (defaults 0.15, 13), vol moves
    #: -PM_VOL_DOWN, 0, +PM_VOL_UP (0.25, 0.5), extended moves +-PM_EXTENDED
    #: (0.5) with losses times PM_DAMPENER (0.3), maintenance PM_MM_FACTOR
    #: (0.8) times initial
    PM_SPOT_RANGE = 8
    PM_SPOT_STEPS = 9
    PM_VOL_DOWN = 10
    PM_VOL_UP = 11
    PM_EXTENDED = 12
    PM_DAMPENER = 13
    PM_MM_FACTOR = 14
    #: time decay of scenario revaluations, calendar days (experimental)
    DECAY_DAYS = 15


register_enum(Instrument, "QPM_INSTR_")
register_enum(BookKey, "QPM_BOOK_", settings=True)
register_names({"qpm_instrument": "Instrument", "qpm_book_key": "BookKey",
                "qpm_book_out": "the outputs", "qpm_book_set_funding": "Book.set_funding()",
                "qpm_book_funding": "Book.funding()",
                "qpm_book_set_collateral": "Book.set_collateral()",
                "qpm_book_margin": "Book.margin()", "qpm_book_liquidation": "Book.liquidation()",
                "qpm_book_margin_grid": "Book.margin_grid()",
                "qpm_book_portfolio_margin": "Book.portfolio_margin()",
                "qpm_book_liquidation_joint": "Book.liquidation_joint()",
                "qpm_book_leverage": "Book.leverage()",
                "qpm_book_add_venue": "Book.add_venue()",
                "qpm_book_find_venue": "Book.venue_index()",
                "qpm_book_venue_margin": "Book.venue_margin()"})
PY_CONSTANTS["QPM_BOOK_ALL"] = "None (all underlyings)"
PY_CONSTANTS["QPM_BOOK_USD"] = '"USD"'
PY_CONSTANTS["QPM_BOOK_NO_VENUE"] = "None (no venue)"
PY_CONSTANTS["QPM_BOOK_SURFACE_VOL"] = "qpm.book.SURFACE_VOL"


class BookFunding(NamedTuple):
    """Result of :meth:`Book.funding`: USD received over the horizon
    (negative: paid)."""
    position: Any    #: per position, in order of addition (0 but for perps)
    underlying: Any  #: per underlying, in :attr:`Book.underlyings` order


class BookMargin(NamedTuple):
    """Result of :meth:`Book.margin`: the account in USD at the current
    market under the standard margin model."""
    equity: float       #: collateral after haircuts plus the positions' values
    initial: float      #: total initial margin
    maintenance: float  #: total maintenance margin (liquidation below it)
    position_im: Any    #: initial margin per position, in order of addition
    position_mm: Any    #: maintenance margin per position, in order of addition


class BookVenueMargin(NamedTuple):
    """Result of :meth:`Book.venue_margin`: one row per venue in
    :attr:`Book.venues` order, then one for what has no venue (label None);
    arrays (lists without numpy), Series on the venue names when the book
    returns frames."""
    equity: Any       #: collateral after haircuts plus the positions' values, USD
    initial: Any      #: initial margin of the venue's positions, USD
    maintenance: Any  #: maintenance margin of the venue's positions, USD


class BookLeverage(NamedTuple):
    """Result of :meth:`Book.leverage` (floats)."""
    gross: float           #: gross notional / equity
    net: float             #: net delta in USD (coin collateral included) / equity
    gross_notional: float  #: USD
    net_delta_usd: float   #: USD


class BookLiquidation(NamedTuple):
    """Result of :meth:`Book.liquidation` (floats) and
    :meth:`Book.liquidations` (arrays in :attr:`Book.underlyings` order):
    the relative spot moves nearest to 0 at which equity falls to the
    maintenance margin."""
    down: Any  #: in [-1, 0]; -1: no liquidation before the price reaches 0
    up: Any    #: in [0, inf]; inf: none up to a 100-fold price


class BookPortfolioMargin(NamedTuple):
    """Result of :meth:`Book.portfolio_margin` (USD)."""
    initial: float       #: sum over the underlyings of their initial margins
    maintenance: float   #: ``pm_mm_factor`` times initial
    per_underlying: Any  #: initial margin per underlying, in :attr:`Book.underlyings` order


class MarginGrid(NamedTuple):
    """Result of :meth:`Book.margin_grid`: n_spot x n_vol arrays (lists of
    rows without numpy), row i the spot shift i, column j the vol shift j."""
    equity: Any       #: USD equity in each cell's market, as :meth:`Book.margin` counts it
    maintenance: Any  #: USD maintenance margin in each cell's market
    #: margin ratio maintenance / equity where equity > 0, +inf where
    #: equity <= 0; the account is liquidated where it is >= 1
    ratio: Any


class ScenarioGrid(NamedTuple):
    """Result of :meth:`Book.scenario_grid`."""
    pnl: Any                #: n_spot x n_vol USD P&L
    spot_shifts: Any        #: the row shifts
    vol_shifts: Any         #: the column shifts
    worst_loss: float       #: -min(pnl), positive = loss
    worst_spot_shift: float
    worst_vol_shift: float


_TYPE_CODES = {"call": 1, "c": 1, "put": -1, "p": -1}

#: Whether Book.add_positions passes one qpm_book_positions struct
#: (qpm_book_add_position_columns) or the parallel arrays of
#: qpm_book_add_positions; both give the same book.  None: the struct when
#: the loaded library exports it (an older one does not).
_USE_STRUCT: Optional[bool] = None


def _struct_exported() -> bool:
    try:
        _lib.fn("qpm_book_add_position_columns")
    except QpmUnsupportedError:
        return False
    return True


def _use_struct() -> bool:
    if _USE_STRUCT is not None:
        return _USE_STRUCT
    return _struct_exported()


def _codes(values: Any, table: Dict[str, int], what: str) -> Any:
    """Strings or ints to int codes (a scalar stays a scalar)."""
    def one(v: Any) -> int:
        if isinstance(v, str):
            try:
                return table[v.lower()]
            except KeyError:
                raise ValueError("unknown %s %r" % (what, v)) from None
        if v is None:
            return 0
        return _arrays.int32(v, what)
    if isinstance(values, str) or values is None or _arrays.is_scalar(values):
        return one(values)
    np = _arrays.np
    if np is not None and isinstance(values, np.ndarray) and values.dtype.kind in "iuf":
        return values  # checked by the conversion layer
    return [one(v) for v in _labels_free(values)]


def _pd_index(labels: List[Any], name: str) -> Any:
    """A deferred pandas Index of ``labels`` (built only when a frame is)."""
    return lambda: _labels._pd().Index(labels, name=name)


def _labels_free(x: Any) -> Any:
    """A Series' values (positions are matched by position)."""
    return x.to_numpy() if _labels.is_series(x) else x


_INSTR = {m.name.lower(): int(m) for m in Instrument}
_AMM_CODES = (int(Instrument.AMM_V2), int(Instrument.AMM_V3))


def _has_amm(codes: Any) -> bool:
    """True when an instrument code vector holds an AMM kind."""
    np = _arrays.np
    if np is not None and isinstance(codes.obj, np.ndarray):
        return bool(np.isin(codes.obj, _AMM_CODES).any())
    return any(c in _AMM_CODES for c in list(codes.obj)[:codes.n])


class Book(Handle):
    """A book of positions on one or more underlyings.

    >>> with Book() as b:
    ...     b.add_underlying("BTC", 60000.0, 0.045)
    ...     b.set_forward("BTC", "E1", 60500.0, 30 / 365)
    ...     b.add_positions("linear_option", "BTC", 10.0, expiry="E1",
    ...                     option_type="call", strike=65000.0, sigma=0.6)
    ...     b.greeks()["delta_coin"]

    Reports (:meth:`values`, :meth:`greeks`, :meth:`funding`,
    :meth:`margin`, :meth:`venue_margin`, :meth:`liquidations`,
    :meth:`portfolio_margin`, :meth:`margin_grid`, :meth:`scenario_grid`)
    are pandas objects labelled by their rows (positions, underlyings,
    expiries, venues, shifts) when ``frames`` is true, and dicts or tuples of
    arrays when it is false.  ``frames=None`` (the default): pandas out once
    positions came in as pandas (a Series or a DataFrame's columns), whose
    index then labels the positions; arrays otherwise.
    """

    _prefix = "qpm_book"
    _key_enum = BookKey

    def __init__(self, *, threads: Optional[int] = None, frames: Optional[bool] = None) -> None:
        if frames:
            import pandas  # noqa: F401  (frames need it; fail here, not in a report)
        self._frames = frames
        self._open("qpm_book_create")
        if threads is not None:
            self.set(BookKey.THREADS, threads)

    def _setup(self) -> None:
        self._expiry_ids: Dict[Tuple[int, Hashable], int] = {}
        self._pos_labels: List[Hashable] = []
        self._pos_under: List[int] = []  # each position's underlying index
        self._pandas_in = False

    # ---- labelled reports -------------------------------------------------
    @property
    def frames(self) -> bool:
        """Whether the reports are labelled pandas objects (see the class
        documentation); assign True, False or None (automatic)."""
        if self._frames is None:
            return self._pandas_in and _labels._pd() is not None
        return bool(self._frames)

    @frames.setter
    def frames(self, on: Optional[bool]) -> None:
        if on:
            import pandas  # noqa: F401
        self._frames = on

    def _rows(self, kind: str) -> Any:
        """The row labels of a report over ``kind`` (None without frames)."""
        if not self.frames:
            return None
        pd = _labels._pd()
        if kind == "position":
            return pd.Index(self._pos_labels, name="position")
        if kind == "underlying":
            return pd.Index(self.underlyings, name="underlying")
        if kind == "expiry":
            return pd.MultiIndex.from_tuples([(u, e) for u, e, _, _ in self.expiries],
                                             names=["underlying", "expiry"])
        return pd.Index(self.venues + [None], name="venue")

    def _table(self, d: Dict[str, Any], kind: str) -> Any:
        return _labels.frame_of(d, self._rows(kind))

    def _series(self, x: Any, kind: str, name: str) -> Any:
        return _labels.series(x, self._rows(kind), name)

    def _grid(self, x: Any, spot: Any, vol: Any) -> Any:
        if not self.frames:
            return x
        pd = _labels._pd()
        return pd.DataFrame(x, index=pd.Index(list(spot), name="spot_shift"),
                            columns=pd.Index(list(vol), name="vol_shift"))

    def _describe(self) -> Iterator[Tuple[str, Any]]:
        yield "underlyings", "[%s]" % ", ".join(self._names_unlocked())
        n = ctypes.c_size_t()
        _lib.fn("qpm_book_n_positions")(self._ptr, ctypes.byref(n))
        yield "positions", int(n.value)
        v = ctypes.c_double()
        _lib.fn("qpm_book_get")(self._ptr, int(BookKey.THREADS), ctypes.byref(v))
        yield "threads", int(v.value)

    def _names_unlocked(self, what: str = "underlying") -> List[str]:
        """The names of the underlyings (or the venues, ``what="venue"``);
        the caller holds the lock."""
        count, get = (("qpm_book_n_underlyings", "qpm_book_underlying_name") if what == "underlying"
                      else ("qpm_book_n_venues", "qpm_book_venue_name"))
        n = ctypes.c_size_t()
        _lib.fn(count)(self._ptr, ctypes.byref(n))
        out = []
        name = ctypes.c_char_p()
        for k in range(n.value):
            _lib.fn(get)(self._ptr, k, ctypes.byref(name))
            out.append((name.value or b"").decode("utf-8", "replace"))
        return out

    # ---- settings --------------------------------------------------------
    @property
    def threads(self) -> int:
        """Threads per P&L call (including the caller); assign to change."""
        return int(self.get(BookKey.THREADS))

    @threads.setter
    def threads(self, n: int) -> None:
        self.set(BookKey.THREADS, n)

    @property
    def funding_hours(self) -> float:
        """Funding horizon of the scenario P&L in hours (0..87600, default 0;
        libqpm's experimental tier): with h > 0, :meth:`pnl` and
        :meth:`scenario_grid` add the funding the perpetual positions receive
        over h hours in each scenario's moved market (see
        :meth:`set_funding`); assign to change."""
        return self.get(BookKey.FUNDING_HOURS)

    @funding_hours.setter
    def funding_hours(self, hours: float) -> None:
        self.set(BookKey.FUNDING_HOURS, hours)

    @property
    def decay_days(self) -> float:
        """Time decay of the scenario revaluations in calendar days (0..3650,
        default 0; libqpm's experimental tier): with d > 0, :meth:`pnl`,
        :meth:`position_pnl`, :meth:`scenario_grid` and the Monte Carlo of
        :class:`qpm.Risk` revalue each option d days closer to expiry (at
        its intrinsic value once expired); stresses and margins are
        instantaneous.  Assign to change."""
        return self.get(BookKey.DECAY_DAYS)

    @decay_days.setter
    def decay_days(self, days: float) -> None:
        self.set(BookKey.DECAY_DAYS, days)

    @property
    def margin_linear_im(self) -> float:
        """Initial margin of futures and perps per USD of notional (0..1,
        default 0.02; libqpm's experimental tier, see :meth:`margin`);
        assign to change."""
        return self.get(BookKey.MARGIN_LINEAR_IM)

    @margin_linear_im.setter
    def margin_linear_im(self, value: float) -> None:
        self.set(BookKey.MARGIN_LINEAR_IM, value)

    @property
    def margin_linear_mm(self) -> float:
        """Maintenance margin of futures and perps per USD of notional
        (0..1, default 0.01; libqpm's experimental tier, see
        :meth:`margin`); assign to change."""
        return self.get(BookKey.MARGIN_LINEAR_MM)

    @margin_linear_mm.setter
    def margin_linear_mm(self, value: float) -> None:
        self.set(BookKey.MARGIN_LINEAR_MM, value)

    @property
    def margin_option_im(self) -> float:
        """Base rate of a short option's initial margin, max(rate - OTM / S,
        :attr:`margin_option_im_min`) S + mark per coin (0..1, default 0.15;
        libqpm's experimental tier, see :meth:`margin`); assign to change."""
        return self.get(BookKey.MARGIN_OPTION_IM)

    @margin_option_im.setter
    def margin_option_im(self, value: float) -> None:
        self.set(BookKey.MARGIN_OPTION_IM, value)

    @property
    def margin_option_im_min(self) -> float:
        """Floor of a short option's initial margin rate (0..1, default
        0.10; libqpm's experimental tier, see :meth:`margin`); assign to
        change."""
        return self.get(BookKey.MARGIN_OPTION_IM_MIN)

    @margin_option_im_min.setter
    def margin_option_im_min(self, value: float) -> None:
        self.set(BookKey.MARGIN_OPTION_IM_MIN, value)

    @property
    def margin_option_mm(self) -> float:
        """Rate of a short option's maintenance margin, rate S + mark per
        coin (0..1, default 0.075; libqpm's experimental tier, see
        :meth:`margin`); assign to change."""
        return self.get(BookKey.MARGIN_OPTION_MM)

    @margin_option_mm.setter
    def margin_option_mm(self, value: float) -> None:
        self.set(BookKey.MARGIN_OPTION_MM, value)

    # ---- market ----------------------------------------------------------
    def add_underlying(self, name: str, spot: float, rate: float = 0.0,
                       perp: Optional[float] = None) -> int:
        """Adds an underlying with its spot index and USD rate (and, when
        given, its perpetual mark); returns its index."""
        idx = ctypes.c_size_t()
        self._c("qpm_book_add_underlying", _arrays.name(name), _arrays.double(spot, "spot"),
                _arrays.double(rate, "rate"), ctypes.byref(idx))
        if perp is not None:
            self.set_perp(idx.value, perp)
        return idx.value

    def index(self, underlying: Union[str, int]) -> int:
        """Index of an underlying given by name (or an index, checked)."""
        if isinstance(underlying, str):
            return self._find(underlying, "underlying")
        u = _arrays.size(underlying, "underlying")
        if u >= len(self.underlyings):
            raise IndexError("underlying %d out of range: the book has %d"
                             % (u, len(self.underlyings)))
        return u

    def _find(self, name: str, arg: str) -> int:
        """Index of the underlying named ``name`` (argument ``arg``)."""
        idx = ctypes.c_size_t()
        self._c("qpm_book_find_underlying", _arrays.name(name, arg), ctypes.byref(idx),
                names={"name": arg})
        return idx.value

    @property
    def underlyings(self) -> List[str]:
        """Names of the underlyings, in index order."""
        with self._using():
            return self._names_unlocked()

    def set_spot(self, underlying: Union[str, int], spot: float) -> None:
        """Sets the spot index S (forwards and perp mark unchanged)."""
        self._c("qpm_book_set_spot", self.index(underlying), _arrays.double(spot, "spot"))

    def set_rate(self, underlying: Union[str, int], rate: float) -> None:
        """Sets the USD rate used to discount the underlying's options."""
        self._c("qpm_book_set_rate", self.index(underlying), _arrays.double(rate, "rate"))

    def set_perp(self, underlying: Union[str, int], mark: float) -> None:
        """Sets the perpetual mark price P."""
        self._c("qpm_book_set_perp", self.index(underlying), _arrays.double(mark, "mark"),
                names={"perp": "mark"})

    def set_funding(self, underlying: Union[str, int], current: float,
                    expected: Optional[float] = None) -> None:
        """Sets the funding rates of the underlying's perpetuals, per 8 hours
        as a fraction of the notional (0.0001 = 0.01 %; positive: longs pay
        shorts): ``current`` for the next 8 hours, ``expected`` after them
        (None: the current rate); both finite, |rate| <= 1, default 0
        (libqpm's experimental tier).  Over h hours a position receives
        -notional x (current min(h, 8) + expected max(h - 8, 0)) / 8, the
        notional being Q m P USD for a linear perp and Q m S / P USD for an
        inverse one.  :func:`qpm.carry.funding_rate` gives the rate an
        exchange fixes from a premium index.  Raises QpmInvalidError
        (|rate| > 1), QpmNonFiniteError, and for the underlying as
        :meth:`index`."""
        u = self.index(underlying)
        cur = _arrays.double(current, "current")
        exp = cur if expected is None else _arrays.double(expected, "expected")
        self._c("qpm_book_set_funding", u, cur, exp, names={"u": "underlying"})

    def funding(self, hours: float = 24.0) -> BookFunding:
        """Funding received (USD; negative: paid) by the perpetual positions
        over ``hours`` (>= 0; 24: the carry per day) at the current market,
        at the rates of :meth:`set_funding` (libqpm's experimental tier).
        Returns :class:`BookFunding`: ``position`` (one row per position in
        order of addition, 0 for every kind but perps, as :meth:`values`)
        and ``underlying`` (rows in :attr:`underlyings` order, as
        ``greeks(by="underlying")``), arrays (lists without numpy).  Raises
        QpmInvalidError (hours < 0), QpmNonFiniteError and QpmNumericalError
        (QPM_E_OVERFLOW: an amount beyond the range of double)."""
        h = _arrays.double(hours, "hours")
        n, nu = ctypes.c_size_t(), ctypes.c_size_t()
        with self._using():
            # the row counts and the call under one lock: no other thread can
            # add rows in between
            st = _lib.fn("qpm_book_n_positions")(self._ptr, ctypes.byref(n))
            if not st:
                st = _lib.fn("qpm_book_n_underlyings")(self._ptr, ctypes.byref(nu))
            pos, und = _arrays.output(int(n.value)), _arrays.output(int(nu.value))
            if not st:
                st = _lib.fn("qpm_book_funding")(self._ptr, h, pos.addr if n.value else None,
                                                 und.addr if nu.value else None)
            if st:
                raise self._error(st)
        return BookFunding(self._series(pos.result(), "position", "funding"),
                           self._series(und.result(), "underlying", "funding"))

    # ---- account (libqpm's experimental tier) ------------------------------
    def add_venue(self, name: str) -> int:
        """Adds a venue or protocol (an exchange, a lending protocol, a
        pool) that positions and collateral can be tagged with (libqpm's
        experimental tier); returns its index.  Raises QpmInvalidError (an
        empty name, one of 64 bytes or more, or one the book has)."""
        idx = ctypes.c_size_t()
        self._c("qpm_book_add_venue", _arrays.name(name), ctypes.byref(idx))
        return idx.value

    @property
    def venues(self) -> List[str]:
        """Venue names in index order."""
        with self._using():
            return self._names_unlocked("venue")

    def venue_index(self, venue: Union[str, int, None]) -> int:
        """Index of a venue given by name or index; None (no venue) gives
        ``QPM_BOOK_NO_VENUE``.  Raises QpmInvalidError for an unknown
        name; an index is checked where it is used."""
        if venue is None:
            return _NO_VENUE
        if isinstance(venue, str):
            idx = ctypes.c_size_t()
            self._c("qpm_book_find_venue", _arrays.name(venue, "venue"), ctypes.byref(idx),
                    names={"name": "venue"})
            return idx.value
        return _arrays.size(venue, "venue")

    def set_surface(self, underlying: Union[str, int], surface: Any,
                    dynamics: str = "sticky_strike") -> None:
        """Attaches a copy of ``surface`` (a :class:`qpm.Surface`, at least
        one slice) to ``underlying`` (libqpm's experimental tier); None
        detaches it.  Options on it added with ``sigma=0``
        (:data:`SURFACE_VOL`) price off it: the surface's vol of their
        strike at the book's forward, read again when the market changes.
        ``dynamics``: how those vols move in scenarios, ``"sticky_strike"``
        (they keep the vol of their strike) or ``"sticky_moneyness"`` (the
        smile moves with the forward).  Raises QpmStateError when detaching
        a surface that positions price off."""
        from .surface import Surface
        dyn = {"sticky_strike": 0, "sticky_moneyness": 1}.get(dynamics)
        if dyn is None:
            raise ValueError("dynamics must be 'sticky_strike' or 'sticky_moneyness', got %r"
                             % (dynamics,))
        u = self._find(underlying, "underlying") if isinstance(underlying, str) \
            else _arrays.size(underlying, "underlying")
        if surface is None:
            self._c("qpm_book_set_surface", u, None, dyn)
            return
        if not isinstance(surface, Surface):
            raise TypeError("surface must be a qpm.Surface, got %s" % type(surface).__name__)
        with surface._using():
            self._c("qpm_book_set_surface", u, surface._ptr, dyn)

    def set_collateral(self, asset: Union[str, int], amount: float,
                       haircut: float = 0.0, venue: Union[str, int, None] = None) -> None:
        """Sets the collateral the account holds at ``venue`` (a name or
        index from :meth:`add_venue`; None: no venue) in ``asset``:
        :data:`USD` (the string ``"USD"``: a stablecoin valued at 1) or an
        underlying's coin, by name or index (valued at its spot, so it
        moves in scenarios), ``amount`` units (finite, >= 0) counted at ``1
        - haircut`` of their value (0 <= haircut < 1).  Replaces that
        venue's previous amount of the asset; the account holds the sum
        over its venues (libqpm's experimental tier).  ``"USD"`` always
        means USD; an underlying named so is reached by its index.  Raises
        QpmInvalidError (no such underlying, venue or index, amount < 0,
        haircut outside [0, 1)) and QpmNonFiniteError."""
        if isinstance(asset, str):
            a = _USD if asset == USD else self._find(asset, "asset")
        else:
            # the library checks the index against the underlyings
            a = _arrays.size(asset, "asset")
        self._c("qpm_book_set_collateral", self.venue_index(venue), a,
                _arrays.double(amount, "amount"), _arrays.double(haircut, "haircut"))

    def stress(self, shock: Any = None, **parts: Any) -> Any:
        """Applies a stress scenario to the account (libqpm's experimental
        tier): ``shock`` a :class:`qpm.stress.Shock` (or its parts as
        keywords: ``spot_moves``, ``vol_shifts``, ``vol_term_power``,
        ``vol_term_ref``, ``liquidity_cost``, ``venue_recovery``,
        ``mark_deviation``, ``usd_depeg``).  Returns a
        :class:`qpm.stress.StressReport`; see :mod:`qpm.stress`."""
        from . import stress as _stress
        if shock is None:
            shock = _stress.Shock(**parts)
        elif parts:
            raise TypeError("stress: give a Shock or its parts, not both")
        return _stress.stress(self, shock)

    def limits(self, var: Optional[float] = None, es: Optional[float] = None,
               **limits: float) -> Any:
        """Checks the account against its limits (libqpm's experimental
        tier): :func:`qpm.stress.limits` on this book (keywords
        ``var_limit``, ``es_limit``, ``gross_leverage``, ``net_leverage``,
        ``margin_ratio``)."""
        from . import stress as _stress
        return _stress.limits(self, var, es, **limits)

    def venue_margin(self) -> BookVenueMargin:
        """:meth:`margin` per venue (libqpm's experimental tier): for each
        venue, the equity it holds (its collateral after haircuts plus its
        positions' values: what the account would lose if it failed) and
        the initial and maintenance margin of its positions, USD at the
        current market; one row per venue in :attr:`venues` order, then one
        (label None) for what has no venue.  The rows add up to
        :meth:`margin`'s totals.  Returns :class:`BookVenueMargin` of
        arrays, or of Series on the venue names (see ``frames``)."""
        nv = ctypes.c_size_t()
        with self._using():
            st = _lib.fn("qpm_book_n_venues")(self._ptr, ctypes.byref(nv))
            rows = int(nv.value) + 1
            eq, im, mm = _arrays.output(rows), _arrays.output(rows), _arrays.output(rows)
            if not st:
                st = _lib.fn("qpm_book_venue_margin")(self._ptr, eq.addr, im.addr, mm.addr)
            if st:
                raise self._error(st)
        return BookVenueMargin(self._series(eq.result(), "venue", "equity"),
                               self._series(im.result(), "venue", "initial"),
                               self._series(mm.result(), "venue", "maintenance"))

    def margin(self) -> BookMargin:
        """The account's margin under the standard model (the ``margin_*``
        settings) in USD at the current market (libqpm's experimental
        tier): ``equity`` = collateral x price x (1 - haircut) plus the
        positions' values (``values()["value_usd"]``); a future or perp
        needs :attr:`margin_linear_im` / :attr:`margin_linear_mm` of its
        notional (|Q m| F USD; an inverse one's notional is |Q m| USD); a
        short option per coin |Q m| initial max(:attr:`margin_option_im` -
        OTM / S, :attr:`margin_option_im_min`) S + mark and maintenance
        :attr:`margin_option_mm` S + mark (OTM = max(K - S, 0) for a call,
        max(S - K, 0) for a put; mark its USD value per coin); long
        options, spot and AMM positions need none.  Returns
        :class:`BookMargin`: the totals as floats, ``position_im`` and
        ``position_mm`` one row per position in order of addition, as
        :meth:`values` (arrays; lists without numpy).  The account is
        liquidated when equity falls below the maintenance margin.  Raises
        QpmNumericalError (QPM_E_OVERFLOW: a value beyond the range of
        double)."""
        n = ctypes.c_size_t()
        eq, im, mm = ctypes.c_double(), ctypes.c_double(), ctypes.c_double()
        with self._using():
            # the row count and the call under one lock: no other thread can
            # add rows in between
            st = _lib.fn("qpm_book_n_positions")(self._ptr, ctypes.byref(n))
            pim, pmm = _arrays.output(int(n.value)), _arrays.output(int(n.value))
            if not st:
                st = _lib.fn("qpm_book_margin")(self._ptr, ctypes.byref(eq), ctypes.byref(im),
                                                ctypes.byref(mm), pim.addr if n.value else None,
                                                pmm.addr if n.value else None)
            if st:
                raise self._error(st)
        return BookMargin(eq.value, im.value, mm.value,
                          self._series(pim.result(), "position", "initial"),
                          self._series(pmm.result(), "position", "maintenance"))

    def liquidation(self, underlying: Union[str, int]) -> BookLiquidation:
        """Liquidation distance of one underlying (libqpm's experimental
        tier): the relative spot moves x of that underlying alone (its
        forwards and perp mark moving with it, the other underlyings and
        the vols fixed) nearest to 0 at which :meth:`margin`'s equity falls
        to the maintenance margin, by full revaluation and bisection to
        1e-12 in x.  Returns :class:`BookLiquidation` of floats: ``down`` in
        [-1, 0] (-1: no liquidation before the price reaches 0) and ``up``
        in [0, inf] (inf: none up to a 100-fold price); both 0 when the
        account is liquidated already.  Raises as :meth:`index` for the
        underlying, and the errors of :meth:`pnl` and :meth:`margin`."""
        u = self.index(underlying)
        down, up = ctypes.c_double(), ctypes.c_double()
        self._c("qpm_book_liquidation", u, ctypes.byref(down), ctypes.byref(up),
                names={"u": "underlying"})
        return BookLiquidation(down.value, up.value)

    def liquidation_joint(self, betas: Any) -> BookLiquidation:
        """Liquidation distance with every coin moving together (libqpm's
        experimental tier): a market move x takes underlying u's prices by
        the factor 1 + betas[u] x (vols fixed); returns
        :class:`BookLiquidation` of floats, the moves x nearest 0 at which
        :meth:`margin`'s equity falls to the maintenance margin, searched
        over the moves that keep every factor positive: ``down`` -1 or
        ``up`` inf when none is found there, both 0 when the account is
        below maintenance already.  ``betas``: one per underlying in
        :attr:`underlyings` order, or a mapping (dict, pandas Series) from
        underlying names to betas, the names it leaves out not moving."""
        names = self.underlyings
        if hasattr(betas, "keys"):
            unknown = [k for k in betas.keys() if k not in names]
            if unknown:
                raise ValueError("betas: unknown underlyings %s (the book has %s)"
                                 % (", ".join(map(str, unknown)), ", ".join(names)))
            betas = [float(betas[n]) if n in betas.keys() else 0.0 for n in names]
        b = _arrays.vector(betas, "betas", n=len(names))
        down, up = ctypes.c_double(), ctypes.c_double()
        self._c("qpm_book_liquidation_joint", b.addr, ctypes.byref(down), ctypes.byref(up))
        return BookLiquidation(down.value, up.value)

    def leverage(self) -> BookLeverage:
        """Leverage of the account at the current market (libqpm's
        experimental tier): gross notional / equity and net delta / equity,
        equity as :meth:`margin` counts it; notional |Q m| S for spot and
        options, |Q m| F for linear futures and perps, |Q m| USD for inverse
        ones, the value for AMM positions; the net delta counts the coin
        collateral at its full value.  Returns :class:`BookLeverage`.
        Raises QpmStateError when equity is not positive."""
        g, n, gn, nd = (ctypes.c_double() for _ in range(4))
        self._c("qpm_book_leverage", ctypes.byref(g), ctypes.byref(n), ctypes.byref(gn),
                ctypes.byref(nd))
        return BookLeverage(g.value, n.value, gn.value, nd.value)

    def liquidations(self) -> BookLiquidation:
        """:meth:`liquidation` of every underlying: :class:`BookLiquidation`
        of arrays (lists without numpy) in :attr:`underlyings` order, as
        ``greeks(by="underlying")``."""
        nu = ctypes.c_size_t()
        with self._using():
            # the row count and the calls under one lock
            st = _lib.fn("qpm_book_n_underlyings")(self._ptr, ctypes.byref(nu))
            n = int(nu.value)
            down, up = _arrays.output(n), _arrays.output(n)
            fn = _lib.fn("qpm_book_liquidation")
            for u in range(n):
                if st:
                    break
                st = fn(self._ptr, u, down.addr + 8 * u, up.addr + 8 * u)
            if st:
                raise self._error(st, {"u": "underlying"})
        return BookLiquidation(self._series(down.result(), "underlying", "down"),
                               self._series(up.result(), "underlying", "up"))

    def portfolio_margin(self) -> BookPortfolioMargin:
        """The portfolio-margin model (the ``pm_*`` settings; libqpm's
        experimental tier): per underlying, the largest of 0, the worst loss
        of its risk matrix (spot moves x vol moves applied to it alone, as
        :meth:`scenario_grid`; funding included when :attr:`funding_hours`
        > 0) and ``pm_dampener`` times the worst loss of its extended moves;
        the account's initial margin is their sum (no offset between
        underlyings), its maintenance ``pm_mm_factor`` times that.  Compare
        with ``margin().equity``.  Returns :class:`BookPortfolioMargin`
        (``per_underlying`` an array, a list without numpy).  Raises
        QpmStateError (no underlyings), QpmInvalidError (a move that takes a
        price or vol out of range) and QpmNumericalError (QPM_E_OVERFLOW)."""
        nu = ctypes.c_size_t()
        im, mm = ctypes.c_double(), ctypes.c_double()
        with self._using():
            # the row count and the call under one lock
            st = _lib.fn("qpm_book_n_underlyings")(self._ptr, ctypes.byref(nu))
            per = _arrays.output(int(nu.value))
            if not st:
                st = _lib.fn("qpm_book_portfolio_margin")(self._ptr, ctypes.byref(im),
                                                          ctypes.byref(mm),
                                                          per.addr if nu.value else None)
            if st:
                raise self._error(st)
        return BookPortfolioMargin(im.value, mm.value,
                                   self._series(per.result(), "underlying", "initial"))

    def margin_grid(self, spot_shifts: ArrayLike, vol_shifts: Optional[ArrayLike] = None,
                    underlying: Union[str, int, None] = None) -> MarginGrid:
        """The account over a risk matrix (libqpm's experimental tier): for
        every spot shift ``spot_shifts[i]`` and vol shift ``vol_shifts[j]``
        (relative, factors ``1 + shift``, as :meth:`scenario_grid`) applied
        to ``underlying`` (a name or an index) or to every underlying
        together (None), the equity and the maintenance margin of
        :meth:`margin` in that market, options repriced with the cell's
        vols for both their values and their margins; collateral in a moved
        coin moves with it; funding is not included.  ``vol_shifts`` None:
        no vol shift (one column).  Returns :class:`MarginGrid` of n_spot x
        n_vol arrays (lists of rows without numpy): ``equity``,
        ``maintenance`` and ``ratio`` = maintenance / equity where equity >
        0 and +inf where equity <= 0 (the account is liquidated where the
        ratio is >= 1).  The cell of shifts (0, 0) is :meth:`margin`.
        Raises QpmSizeError (an empty shift list), QpmStateError (no
        underlyings), QpmInvalidError (a shift <= -1 or one that takes a
        price or vol out of the floating-point range, naming it),
        QpmNonFiniteError, QpmNumericalError (QPM_E_OVERFLOW: a cell's
        equity or margin beyond the range of double, naming the cell), and
        for the underlying as :meth:`index`."""
        u = _ALL if underlying is None else self.index(underlying)
        xs = _arrays.vector(spot_shifts, "spot_shifts")
        vs = _arrays.vector(vol_shifts, "vol_shifts") if vol_shifts is not None else None
        nv = vs.n if vs is not None else 1
        eq = _arrays.out_matrix(xs.n, nv)
        mm = _arrays.out_matrix(xs.n, nv)
        self._c("qpm_book_margin_grid", u, xs.n, xs.addr, nv,
                vs.addr if vs is not None else None, eq.addr, mm.addr,
                names={"n_spot": "len(spot_shifts)", "n_vol": "len(vol_shifts)",
                       "u": "underlying"})
        e, m = eq.result(), mm.result()
        np = _arrays.np
        ratio: Any
        if np is not None and isinstance(e, np.ndarray):
            ratio = np.full(e.shape, np.inf)
            np.divide(m, e, out=ratio, where=e > 0)
        else:
            ratio = [[mi / ei if ei > 0 else math.inf for ei, mi in zip(er, mr)]
                     for er, mr in zip(e, m)]
        vr = vs.result() if vs is not None else [0.0]
        xr = xs.result()
        return MarginGrid(self._grid(e, xr, vr), self._grid(m, xr, vr), self._grid(ratio, xr, vr))

    def _expiry_id(self, u: int, expiry: Hashable, create: bool) -> int:
        if isinstance(expiry, numbers.Integral) and not isinstance(expiry, bool):
            return _arrays.int32(expiry, "expiry")
        key = (u, expiry)
        if key not in self._expiry_ids:
            if not create:
                raise ValueError("unknown expiry %r on underlying %d" % (expiry, u))
            # labels get ids above any id a caller is likely to choose
            self._expiry_ids[key] = (1 << 30) + len(self._expiry_ids)
        return self._expiry_ids[key]

    def set_forward(self, underlying: Union[str, int], expiry: Hashable, forward: float,
                    T: float) -> None:
        """Sets (or adds) an expiry of the underlying: its forward F and its
        time to expiry T in years.  ``expiry`` is an int id >= 0 or a label."""
        u = self.index(underlying)
        self._c("qpm_book_set_forward", u, self._expiry_id(u, expiry, True),
                _arrays.double(forward, "forward"), _arrays.double(T, "T"))

    @property
    def expiries(self) -> List[Tuple[str, Hashable, float, float]]:
        """(underlying name, expiry id or label, F, T) of every expiry, in
        the row order of ``greeks(by="expiry")``."""
        n = ctypes.c_size_t()
        self._c("qpm_book_n_expiries", ctypes.byref(n))
        names = self.underlyings
        labels = {(u, i): lab for (u, lab), i in self._expiry_ids.items()}
        out: List[Tuple[str, Hashable, float, float]] = []
        u, eid, F, T = ctypes.c_size_t(), ctypes.c_int32(), ctypes.c_double(), ctypes.c_double()
        for k in range(n.value):
            self._c("qpm_book_expiry", k, ctypes.byref(u), ctypes.byref(eid), ctypes.byref(F),
                    ctypes.byref(T))
            out.append((names[u.value], labels.get((u.value, eid.value), eid.value), F.value,
                        T.value))
        return out

    # ---- positions -------------------------------------------------------
    def add_positions(self, instrument: Any, underlying: Any, quantity: Any,
                      multiplier: Any = 1.0, *, expiry: Any = None, option_type: Any = None,
                      strike: Any = None, entry_price: Any = None, sigma: Any = None,
                      price_lower: Any = None, price_upper: Any = None,
                      fee_rate: Any = None, venue: Any = None) -> None:
        """Appends positions.  Every argument is a scalar (repeated) or a
        sequence/array of one common length.  ``instrument``: an
        :class:`Instrument`, its value or name (``"inverse_option"``);
        ``underlying``: name or index; ``expiry``: id or label (futures and
        options); ``option_type``: ``"call"``/``"put"`` or 1/-1; fields that do
        not apply to an instrument may be None or NaN.  All or nothing.

        AMM positions (``"amm_v2"``, ``"amm_v3"``; libqpm's experimental
        tier): ``quantity x multiplier`` is the liquidity L (> 0),
        ``fee_rate`` (>= 0, per year on the value: the theta) is needed by
        both, ``price_lower`` (>= 0) and ``price_upper`` (> price_lower, may
        be ``math.inf``) by v3.  They are added through the
        ``qpm_book_positions`` struct only; a library without it raises
        QpmUnsupportedError.

        ``venue`` (libqpm's experimental tier): the venue of each position,
        a name or index from :meth:`add_venue`, or None (no venue; the
        default for all).  An unknown venue raises QpmInvalidError naming
        the position.

        pandas: the columns of a DataFrame (``df["strike"]``, ...) are
        passed as numpy arrays; their common index labels the positions in
        the reports (see ``frames``: pandas arguments switch them to pandas
        out).  Series with different indexes raise ValueError.  Underlyings
        and expiries keep their names and labels.  The number columns
        (quantity, multiplier, strike, entry_price, sigma, price_lower,
        price_upper, fee_rate) that are already
        C-contiguous float64 reach libqpm without a copy, as one
        ``qpm_book_positions`` struct (``qpm_book_add_position_columns``,
        libqpm's experimental tier) when the library has it, else as the
        parallel arrays of ``qpm_book_add_positions``: the same book either
        way."""
        raw = (("instrument", instrument), ("underlying", underlying), ("quantity", quantity),
               ("multiplier", multiplier), ("expiry", expiry), ("option_type", option_type),
               ("strike", strike), ("entry_price", entry_price), ("sigma", sigma),
               ("price_lower", price_lower), ("price_upper", price_upper),
               ("fee_rate", fee_rate), ("venue", venue))
        index = _labels.common_index([v for _, v in raw], [nm for nm, _ in raw])
        n, first = -1, ""
        for nm, v in raw:  # one length for every sequence argument
            if v is None or isinstance(v, str) or _arrays.is_scalar(v):
                continue
            ln = _arrays.length(v, nm)
            if n < 0:
                n, first = ln, nm
            elif ln != n:
                raise ValueError("%s has %d elements but %s has %d" % (nm, ln, first, n))
        n = max(n, 1)
        und: Any = underlying
        if isinstance(und, str) or _arrays.is_scalar(und):
            ulist = [self.index(und)] * n
        else:
            ulist = [self.index(x) for x in _labels_free(und)]

        def field(v: Any) -> Any:
            if v is None:
                return float("nan")
            v = _labels_free(v)
            if _arrays.is_scalar(v) or hasattr(v, "dtype"):
                return v
            return [float("nan") if x is None else x for x in v]

        exp: Any
        if expiry is None:
            exp = -1
        elif isinstance(expiry, str) or _arrays.is_scalar(expiry):
            exp = [self._expiry_id(ulist[i], expiry, False) for i in range(n)]
        else:
            exp = [-1 if (e is None or (isinstance(e, float) and e != e))
                   else self._expiry_id(ulist[i], e, False)
                   for i, e in enumerate(_labels_free(expiry))]
        # the AMM columns given; the others stay NULL, so that a library
        # that predates them accepts the struct
        amm = [(nm, val) for nm, val in raw if nm in _AMM_FIELDS and val is not None]
        if venue is not None:
            vl = venue if isinstance(venue, str) or _arrays.is_scalar(venue) \
                else list(_labels_free(venue))
            if isinstance(vl, list):
                vcodes: Any = [self.venue_index(None if (x is None or (isinstance(x, float)
                                                                      and x != x)) else x)
                               for x in vl]
            else:
                vcodes = self.venue_index(vl)
            amm.append(("venue", vcodes))
        _, v, _ = _arrays.broadcast(
            [_codes(instrument, _INSTR, "instrument"), ulist if n > 1 else ulist[0], quantity,
             multiplier, exp, _codes(option_type, _TYPE_CODES, "option_type"), field(strike),
             field(entry_price), field(sigma)] + [field(val) for _, val in amm],
            [nm for nm, _ in raw[:9]] + [nm for nm, _ in amm],
            ["int32", _SIZE_KIND, "float64", "float64", "int32", "int32", "float64",
             "float64", "float64"] + [_SIZE_KIND if nm == "venue" else "float64"
                                      for nm, _ in amm])
        names = {"n": "the number of positions"}
        before = self.n_positions
        # AMM positions need fields only the struct carries
        need_struct = bool(amm) or _has_amm(v[0])
        if need_struct and not _use_struct() and not _struct_exported():
            raise QpmUnsupportedError(
                7, "QPM_E_UNSUPPORTED", "AMM positions (and price_lower, price_upper, "
                "fee_rate) need qpm_book_add_position_columns, which %s does not export"
                % _lib.library_path())
        if need_struct or _use_struct():
            cols = _Positions(ctypes.sizeof(_Positions))
            for f, vec in zip(("instrument", "underlying", "quantity", "multiplier", "expiry",
                               "option_type", "strike", "entry_price", "sigma"), v[:9]):
                setattr(cols, f, vec.addr)
            for (f, _), vec in zip(amm, v[9:]):
                setattr(cols, f, vec.addr)
            self._c("qpm_book_add_position_columns", n, ctypes.byref(cols), names=names)
        else:
            self._c("qpm_book_add_positions", n, v[0].addr, v[1].addr, v[4].addr, v[5].addr,
                    v[6].addr, v[2].addr, v[3].addr, v[7].addr, v[8].addr, names=names)
        if index is not None:
            self._pandas_in = True
            self._pos_labels.extend(index)
        else:
            self._pos_labels.extend(range(before, before + n))
        self._pos_under.extend(ulist if len(ulist) == n else ulist * n)

    def clear_positions(self) -> None:
        """Removes every position (the market stays)."""
        self._c("qpm_book_clear_positions")
        self._pos_labels = []
        self._pos_under = []
        self._pandas_in = False

    @property
    def n_positions(self) -> int:
        """Number of positions."""
        n = ctypes.c_size_t()
        self._c("qpm_book_n_positions", ctypes.byref(n))
        return n.value

    # ---- values and Greeks -----------------------------------------------
    def _greeks(self, cname: str, count: str) -> Dict[str, Any]:
        out = _BookOut(ctypes.sizeof(_BookOut))
        bufs = {}
        n = ctypes.c_size_t()
        with self._using():
            # the row count and the call under one lock: no other thread can
            # add rows in between
            st = _lib.fn(count)(self._ptr, ctypes.byref(n))
            rows = int(n.value)
            for f in FIELDS:
                v = _arrays.output(rows)
                bufs[f] = v
                setattr(out, f, v.addr if rows > 0 else None)
            if not st:
                st = _lib.fn(cname)(self._ptr, ctypes.byref(out))
            if st:
                raise self._error(st)
        return {f: v.result() for f, v in bufs.items()}

    def values(self) -> Any:
        """Value and Greeks of every position: a dict of arrays keyed by
        :data:`FIELDS`, one row per position in order of addition; with
        ``frames``, a DataFrame of those columns indexed by the positions'
        labels."""
        return self._table(self._greeks("qpm_book_position_greeks", "qpm_book_n_positions"),
                           "position")

    def greeks(self, by: str = "underlying") -> Any:
        """Totals: ``by="underlying"`` (rows in :attr:`underlyings` order,
        every instrument), ``"expiry"`` (rows in :attr:`expiries` order,
        options only: the risk matrix) or ``"position"`` (as :meth:`values`).
        A dict of arrays keyed by :data:`FIELDS`; with ``frames``, a
        DataFrame indexed by underlying name, by (underlying, expiry) or by
        position label."""
        if by == "position":
            return self.values()
        if by == "underlying":
            return self._table(
                self._greeks("qpm_book_underlying_greeks", "qpm_book_n_underlyings"),
                "underlying")
        if by == "expiry":
            return self._table(self._greeks("qpm_book_expiry_greeks", "qpm_book_n_expiries"),
                               "expiry")
        raise ValueError("by = %r: must be 'underlying', 'expiry' or 'position'" % (by,))

    # ---- scenarios -------------------------------------------------------
    def pnl(self, spot_moves: ArrayLike, vol_shifts: Optional[ArrayLike] = None,
            out: Optional[FloatArray] = None) -> FloatArray:
        """Full-revaluation USD P&L of n joint scenarios: ``spot_moves`` is
        n x n_underlyings (relative moves x > -1, columns in underlying
        order), ``vol_shifts`` the same shape or None (relative vol shifts).
        With one underlying a 1-D array of n moves is accepted.  A DataFrame
        whose columns are the underlying names is matched by name; the
        result is then a Series on its index."""
        names = self.underlyings
        index = _labels.row_labels(spot_moves)
        xs = self._moves(spot_moves, "spot_moves", names)
        vs = None
        if vol_shifts is not None:
            vs = self._moves(vol_shifts, "vol_shifts", names)
            if vs.rows != xs.rows:
                raise ValueError("vol_shifts has %d rows, spot_moves %d" % (vs.rows, xs.rows))
        o = _arrays.output(xs.rows, out, "out")
        self._c("qpm_book_pnl", xs.rows, xs.addr, xs.ld, vs.addr if vs else None,
                vs.ld if vs else 0, o.addr, names={"n": "len(spot_moves)"})
        if out is not None or index is None:
            return o.result()  # type: ignore[no-any-return]
        return _labels.series(o.result(), index, "pnl")  # type: ignore[no-any-return]

    @staticmethod
    def _moves(x: Any, name: str, names: List[str]) -> Any:
        """Scenario moves as a matrix with one column per underlying: a
        DataFrame matched by name, a 1-D array with one underlying."""
        nu = len(names)
        x = _labels.by_name(x, names)
        np = _arrays.np
        if nu == 1 and _labels.is_series(x):
            x = x.to_numpy()
        if np is not None and nu == 1:
            a = np.asarray(x)
            if a.ndim == 1:
                x = a.reshape(-1, 1)
        elif nu == 1 and not isinstance(x, (str, bytes)) and not _arrays.is_scalar(x) \
                and len(x) and _arrays.is_scalar(x[0]):
            x = [[v] for v in x]
        # no underlyings: the library reports that state before reading
        return _arrays.matrix(x, name, cols=nu if nu else None)

    def position_pnl(self, spot_moves: ArrayLike, vol_shifts: Optional[ArrayLike] = None) -> Any:
        """:meth:`pnl` position by position (libqpm's experimental tier):
        an n x n_positions matrix whose row s adds up to ``pnl(...)[s]``
        (funding included when :attr:`funding_hours` > 0).  One thread, a
        full revaluation of every position per scenario: for attribution,
        not for large runs.  Moves as :meth:`pnl`; a DataFrame (index: the
        moves' index, else 0..n-1; columns: the positions' labels) when
        the book returns frames or the moves are a DataFrame."""
        np_ = self.n_positions
        return self._per_scenario("qpm_book_position_pnl", spot_moves, vol_shifts, np_,
                                  _pd_index(self._pos_labels[:np_], "position"))

    def venue_value(self, spot_moves: ArrayLike, vol_shifts: Optional[ArrayLike] = None) -> Any:
        """What each venue holds under each scenario (libqpm's experimental
        tier): its positions' values plus its collateral at full value,
        USD: an n x (venues + 1) matrix, the last column for what has no
        venue (label None); a DataFrame when the book returns frames or
        the moves are a DataFrame.  Moves as :meth:`pnl`."""
        venues = self.venues
        return self._per_scenario("qpm_book_venue_value", spot_moves, vol_shifts,
                                  len(venues) + 1, _pd_index(venues + [None], "venue"))

    def _per_scenario(self, cname: str, spot_moves: ArrayLike, vol_shifts: Optional[ArrayLike],
                      cols: int, columns: Any) -> Any:
        """An n x cols result of the C function ``cname`` over scenarios
        (moves as :meth:`pnl`): a DataFrame with ``columns()`` when the
        book returns frames or the moves are a DataFrame."""
        names = self.underlyings
        index = _labels.row_labels(spot_moves)
        xs = self._moves(spot_moves, "spot_moves", names)
        vs = None
        if vol_shifts is not None:
            vs = self._moves(vol_shifts, "vol_shifts", names)
            if vs.rows != xs.rows:
                raise ValueError("vol_shifts has %d rows, spot_moves %d" % (vs.rows, xs.rows))
        o = _arrays.out_matrix(xs.rows, max(cols, 1))
        self._c(cname, xs.rows, xs.addr, xs.ld, vs.addr if vs else None, vs.ld if vs else 0,
                o.addr, max(cols, 1), names={"n": "len(spot_moves)"})
        out = o.result()
        if cols == 0:
            out = out[:, :0] if hasattr(out, "shape") else [[] for _ in out]
        pd = _labels._pd()
        if (index is None and not self.frames) or pd is None:
            return out
        return pd.DataFrame(out, index=index, columns=columns())

    def scenario_grid(self, underlying: Union[str, int, None] = None,
                      spot_shifts: Sequence[float] = GRID_SPOT_SHIFTS,
                      vol_shifts: Optional[Sequence[float]] = GRID_VOL_SHIFTS) -> ScenarioGrid:
        """P&L of every (spot shift, vol shift) pair applied to one
        underlying, or to all of them together when ``underlying`` is None,
        with the worst loss and where it occurs."""
        u = _ALL if underlying is None else self.index(underlying)
        xs = _arrays.vector(spot_shifts, "spot_shifts")
        vs = _arrays.vector(vol_shifts, "vol_shifts") if vol_shifts is not None else None
        nv = vs.n if vs is not None else 1
        o = _arrays.out_matrix(xs.n, nv)
        wl = ctypes.c_double()
        wi = ctypes.c_size_t()
        self._c("qpm_book_scenario_grid", u, xs.n, xs.addr, nv,
                vs.addr if vs is not None else None, o.addr, ctypes.byref(wl),
                ctypes.byref(wi), names={"n_spot": "len(spot_shifts)",
                                         "n_vol": "len(vol_shifts)", "u": "underlying"})
        xr = xs.result()
        vr = vs.result() if vs is not None else [0.0]
        return ScenarioGrid(self._grid(o.result(), xr, vr), xr, vr, wl.value,
                            float(xr[wi.value // nv]),
                            float(vr[wi.value % nv]))
