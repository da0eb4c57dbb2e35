"""A crypto-derivatives book: spot, linear and inverse futures and perpetual
swaps, linear (USD-settled) and inverse (coin-settled) European options,
held against a market snapshot.

Conventions are the library's (see ``include/qpm/book.h``): USD numeraire,
coin values converted at the spot index S; a scenario moves an underlying's
spot, forwards and perpetual mark by ``(1 + x)`` and its option vols by
``(1 + v)``.  Greeks: ``delta_coin = dV/dS`` (coins), ``delta_usd = S
delta_coin``, ``gamma = d2V/dS2``, ``vega`` per 1.00 of vol (parallel),
``theta = -dV/dT`` per year, ``delta_exchange`` the exchange-style coin delta.

Underlyings are named (``"BTC"``) and may be passed by name or index;
expiries are identified per underlying by a caller-chosen id: an int >= 0 or
any hashable label (``"BTC-E2"``), which the wrapper numbers itself.
"""
from __future__ import annotations

import ctypes
import enum
import numbers
from typing import Any, Dict, Hashable, List, NamedTuple, Optional, Sequence, Tuple, Union

from . import _arrays, _lib
from ._errors import check
from ._handle import Handle

__all__ = ["Book", "Instrument", "BookKey", "ScenarioGrid", "FIELDS", "GRID_SPOT_SHIFTS",
           "GRID_VOL_SHIFTS"]

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

_ALL = ctypes.c_size_t(-1).value  # QPM_BOOK_ALL (SIZE_MAX)
_SIZE_KIND = "uint64" if ctypes.sizeof(ctypes.c_size_t) == 8 else "uint32"


class _BookOut(ctypes.Structure):
    _fields_ = [("size", ctypes.c_size_t)] + [(f, ctypes.c_void_p) for f in FIELDS]


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
_lib.declare("qpm_book_set_forward", _int, _vp, _sz, _i32, _d, _d)
_lib.declare("qpm_book_n_expiries", _int, _vp, _vp)
_lib.declare("qpm_book_expiry", _int, _vp, _sz, _vp, _vp, _vp, _vp)
_lib.declare("qpm_book_add_positions", _int, _vp, _sz, _vp, _vp, _vp, _vp, _vp, _vp, _vp, _vp,
             _vp)
_lib.declare("qpm_book_clear_positions", _int, _vp)
_lib.declare("qpm_book_n_positions", _int, _vp, _vp)
_lib.declare("qpm_book_position_greeks", _int, _vp, _vp)
_lib.declare("qpm_book_underlying_greeks", _int, _vp, _vp)
_lib.declare("qpm_book_expiry_greeks", _int, _vp, _vp)
_lib.declare("qpm_book_pnl", _int, _vp, _sz, _vp, _sz, _vp, _sz, _vp)
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


class BookKey(enum.IntEnum):
    """Setting keys of :class:`Book` (``qpm_book_key``)."""
    THREADS = 0  #: threads per P&L call including the caller (default 1)
    CHUNK = 1    #: scenarios per work chunk (read-only)


class ScenarioGrid(NamedTuple):
    """Result of :meth:`Book.scenario_grid`."""
    pnl: Any                #: n_spot x n_vol USD P&L
    spot_shifts: Any        #: the row shifts
    vol_shifts: Any         #: the column shifts
    worst_loss: float       #: -min(pnl), positive = loss
    worst_spot_shift: float
    worst_vol_shift: float


_TYPE_CODES = {"call": 1, "c": 1, "put": -1, "p": -1}


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
        return int(v)
    if isinstance(values, str) or values is None or _arrays.is_scalar(values):
        return one(values)
    return [one(v) for v in values]


_INSTR = {m.name.lower(): int(m) for m in Instrument}


class Book(Handle):
    """A book of positions on one or more underlyings.

    >>> with Book() as b:
    ...     b.add_underlying("BTC", 60000.0, 0.045)
    ...     b.set_forward("BTC", "E1", 60500.0, 30 / 365)
    ...     b.add_positions("linear_option", "BTC", 10.0, expiry="E1",
    ...                     option_type="call", strike=65000.0, sigma=0.6)
    ...     b.greeks()["delta_coin"]
    """

    _prefix = "qpm_book"
    _key_enum = BookKey

    def __init__(self, *, threads: Optional[int] = None) -> None:
        self._open("qpm_book_create")
        if threads is not None:
            self.set(BookKey.THREADS, threads)

    def _setup(self) -> None:
        self._expiry_ids: Dict[Tuple[int, Hashable], int] = {}

    # ---- settings --------------------------------------------------------
    @property
    def threads(self) -> int:
        """Threads per P&L call (including the caller); assign to change."""
        return int(self.get(BookKey.THREADS))

    @threads.setter
    def threads(self, n: int) -> None:
        self.set(BookKey.THREADS, n)

    # ---- market ----------------------------------------------------------
    def add_underlying(self, name: str, spot: float, rate: float = 0.0,
                       perp: Optional[float] = None) -> int:
        """Adds an underlying with its spot index and USD rate (and, when
        given, its perpetual mark); returns its index."""
        idx = ctypes.c_size_t()
        check(_lib.fn("qpm_book_add_underlying")(self.handle, name.encode(), float(spot),
                                                 float(rate), ctypes.byref(idx)))
        if perp is not None:
            self.set_perp(idx.value, perp)
        return idx.value

    def index(self, underlying: Union[str, int]) -> int:
        """Index of an underlying given by name (or an index, checked)."""
        if isinstance(underlying, str):
            idx = ctypes.c_size_t()
            check(_lib.fn("qpm_book_find_underlying")(self.handle, underlying.encode(),
                                                      ctypes.byref(idx)))
            return idx.value
        u = int(underlying)
        if u < 0 or u >= len(self.underlyings):
            raise IndexError("underlying %d out of range" % u)
        return u

    @property
    def underlyings(self) -> List[str]:
        """Names of the underlyings, in index order."""
        n = ctypes.c_size_t()
        check(_lib.fn("qpm_book_n_underlyings")(self.handle, ctypes.byref(n)))
        out = []
        name = ctypes.c_char_p()
        for u in range(n.value):
            check(_lib.fn("qpm_book_underlying_name")(self.handle, u, ctypes.byref(name)))
            out.append((name.value or b"").decode())
        return out

    def set_spot(self, underlying: Union[str, int], spot: float) -> None:
        """Sets the spot index S (forwards and perp mark unchanged)."""
        check(_lib.fn("qpm_book_set_spot")(self.handle, self.index(underlying), float(spot)))

    def set_rate(self, underlying: Union[str, int], rate: float) -> None:
        """Sets the USD rate used to discount the underlying's options."""
        check(_lib.fn("qpm_book_set_rate")(self.handle, self.index(underlying), float(rate)))

    def set_perp(self, underlying: Union[str, int], mark: float) -> None:
        """Sets the perpetual mark price P."""
        check(_lib.fn("qpm_book_set_perp")(self.handle, self.index(underlying), float(mark)))

    def _expiry_id(self, u: int, expiry: Hashable, create: bool) -> int:
        if isinstance(expiry, numbers.Integral) and not isinstance(expiry, bool):
            return int(expiry)
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
        check(_lib.fn("qpm_book_set_forward")(self.handle, u, self._expiry_id(u, expiry, True),
                                              float(forward), float(T)))

    @property
    def expiries(self) -> List[Tuple[str, Hashable, float, float]]:
        """(underlying name, expiry id or label, F, T) of every expiry, in
        the row order of ``greeks(by="expiry")``."""
        n = ctypes.c_size_t()
        check(_lib.fn("qpm_book_n_expiries")(self.handle, ctypes.byref(n)))
        names = self.underlyings
        labels = {(u, i): lab for (u, lab), i in self._expiry_ids.items()}
        out = []
        u, eid, F, T = ctypes.c_size_t(), ctypes.c_int32(), ctypes.c_double(), ctypes.c_double()
        for k in range(n.value):
            check(_lib.fn("qpm_book_expiry")(self.handle, k, ctypes.byref(u), ctypes.byref(eid),
                                             ctypes.byref(F), ctypes.byref(T)))
            out.append((names[u.value], labels.get((u.value, eid.value), eid.value), F.value,
                        T.value))
        return out

    # ---- positions -------------------------------------------------------
    def add_positions(self, instrument: Any, underlying: Any, quantity: Any,
                      multiplier: Any = 1.0, *, expiry: Any = None, option_type: Any = None,
                      strike: Any = None, entry_price: Any = None, sigma: Any = None) -> None:
        """Appends positions.  Every argument is a scalar (repeated) or a
        sequence/array of one common length.  ``instrument``: an
        :class:`Instrument`, its value or name (``"inverse_option"``);
        ``underlying``: name or index; ``expiry``: id or label (futures and
        options); ``option_type``: ``"call"``/``"put"`` or 1/-1; fields that do
        not apply to an instrument may be None or NaN.  All or nothing."""
        instr = _codes(instrument, _INSTR, "instrument")
        und = underlying
        if isinstance(und, str) or _arrays.is_scalar(und):
            und = self.index(und)
        else:
            und = [self.index(x) for x in und]
        n, vecs, _ = _arrays.broadcast([instr, und, quantity, multiplier], ["instrument",
                                       "underlying", "quantity", "multiplier"],
                                       ["int32", _SIZE_KIND, "float64", "float64"])
        ulist = list(vecs[1].obj)

        def field(v: Any) -> Any:
            if v is None:
                return float("nan")
            if _arrays.is_scalar(v):
                return v
            return [float("nan") if x is None else x for x in v] if not hasattr(v, "dtype") else v

        exp: Any
        if expiry is None:
            exp = -1
        elif isinstance(expiry, str) or _arrays.is_scalar(expiry):
            exp = [self._expiry_id(int(ulist[i]), expiry, False) for i in range(n)]
        else:
            ex = list(expiry)
            if len(ex) != n:
                raise ValueError("expiry has %d elements, expected %d" % (len(ex), n))
            exp = [-1 if (e is None or (isinstance(e, float) and e != e))
                   else self._expiry_id(int(ulist[i]), e, False) for i, e in enumerate(ex)]
        n2, more, _ = _arrays.broadcast(
            [exp, _codes(option_type, _TYPE_CODES, "option type"), field(strike),
             field(entry_price), field(sigma), vecs[0].obj],
            ["expiry", "option_type", "strike", "entry_price", "sigma", "instrument"],
            ["int32", "int32", "float64", "float64", "float64", "int32"])
        if n2 != n:
            raise ValueError("position fields have %d elements, expected %d" % (n2, n))
        check(_lib.fn("qpm_book_add_positions")(
            self.handle, n, vecs[0].addr, vecs[1].addr, more[0].addr, more[1].addr,
            more[2].addr, vecs[2].addr, vecs[3].addr, more[3].addr, more[4].addr))

    def clear_positions(self) -> None:
        """Removes every position (the market stays)."""
        check(_lib.fn("qpm_book_clear_positions")(self.handle))

    @property
    def n_positions(self) -> int:
        """Number of positions."""
        n = ctypes.c_size_t()
        check(_lib.fn("qpm_book_n_positions")(self.handle, ctypes.byref(n)))
        return n.value

    # ---- values and Greeks -----------------------------------------------
    def _greeks(self, cname: str, rows: int) -> Dict[str, Any]:
        out = _BookOut(ctypes.sizeof(_BookOut))
        bufs = {}
        for f in FIELDS:
            v = _arrays.output(rows)
            bufs[f] = v
            setattr(out, f, v.addr if rows > 0 else None)
        check(_lib.fn(cname)(self.handle, ctypes.byref(out)))
        return {f: v.result() for f, v in bufs.items()}

    def values(self) -> Dict[str, Any]:
        """Value and Greeks of every position: a dict of arrays keyed by
        :data:`FIELDS`, one row per position in order of addition."""
        return self._greeks("qpm_book_position_greeks", self.n_positions)

    def greeks(self, by: str = "underlying") -> Dict[str, Any]:
        """Totals: ``by="underlying"`` (rows in :attr:`underlyings` order,
        every instrument), ``"expiry"`` (rows in :attr:`expiries` order,
        options only: the risk matrix) or ``"position"`` (as :meth:`values`)."""
        if by == "position":
            return self.values()
        if by == "underlying":
            return self._greeks("qpm_book_underlying_greeks", len(self.underlyings))
        if by == "expiry":
            return self._greeks("qpm_book_expiry_greeks", len(self.expiries))
        raise ValueError("by = %r: must be 'underlying', 'expiry' or 'position'" % (by,))

    # ---- scenarios -------------------------------------------------------
    def pnl(self, spot_moves: Any, vol_shifts: Any = None, out: Any = None) -> Any:
        """Full-revaluation USD P&L of n joint scenarios: ``spot_moves`` is
        n x n_underlyings (relative moves x > -1, columns in underlying
        order), ``vol_shifts`` the same shape or None (relative vol shifts).
        With one underlying a 1-D array of n moves is accepted."""
        nu = len(self.underlyings)

        def mat(x: Any, name: str) -> Any:
            np = _arrays.np
            if np is not None and nu == 1:
                a = np.asarray(x, dtype=np.float64)
                if a.ndim == 1:
                    x = a.reshape(-1, 1)
            elif nu == 1 and len(x) and _arrays.is_scalar(x[0]):
                x = [[v] for v in x]
            m = _arrays.matrix(x, name)
            if m.cols != nu:
                raise ValueError("%s has %d columns, expected %d (one per underlying)"
                                 % (name, m.cols, nu))
            return m
        xs = mat(spot_moves, "spot_moves")
        vs = None
        if vol_shifts is not None:
            vs = mat(vol_shifts, "vol_shifts")
            if vs.rows != xs.rows:
                raise ValueError("vol_shifts has %d rows, spot_moves %d" % (vs.rows, xs.rows))
        o = _arrays.output(xs.rows, out, "out")
        check(_lib.fn("qpm_book_pnl")(self.handle, xs.rows, xs.addr, xs.ld,
                                      vs.addr if vs else None, vs.ld if vs else 0, o.addr))
        return o.result()

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
        check(_lib.fn("qpm_book_scenario_grid")(self.handle, u, xs.n, xs.addr, nv,
                                                vs.addr if vs is not None else None, o.addr,
                                                ctypes.byref(wl), ctypes.byref(wi)))
        xr = xs.result()
        vr = vs.result() if vs is not None else [0.0]
        return ScenarioGrid(o.result(), xr, vr, wl.value, float(xr[wi.value // nv]),
                            float(vr[wi.value % nv]))
