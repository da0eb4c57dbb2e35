"""Progress callbacks: Python callables and progress bars behind
``qpm_progress_fn``.

Handles that do long work (Monte Carlo risk, efficient frontiers) take a
``progress`` argument, turned into a C callback by :func:`callback`:

* ``None`` or ``False``: no callback;
* ``True``: a progress bar, from tqdm when it is installed, otherwise a plain
  text bar on stderr; it counts the run's own units (scenarios, frontier
  points) when the call knows them, else percent;
* a callable ``f(done)`` with ``done`` in [0, 1]: called as the work
  advances; returning ``True`` stops the computation, which then raises
  :class:`qpm.QpmCancelledError`.  An exception raised inside ``f`` also stops
  the computation and is re-raised from the library call.

The C library calls back on the calling thread only, a few hundred times per
run at most.
"""
from __future__ import annotations

import ctypes
import sys
from typing import Any, Callable, Optional

#: C type of ``qpm_progress_fn``: int (*)(void *user, double done)
PROGRESS_FN = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_double)


def _count(done: float, total: int) -> int:
    return min(total, max(0, int(round(done * total))))


class _TextBar:
    """A minimal stderr progress bar (used when tqdm is not installed):
    ``desc [#####     ]  42% 42000/100000 scenarios``."""

    def __init__(self, desc: str, total: Optional[int] = None, unit: str = "") -> None:
        self.desc = desc
        self.total = total if total and total > 0 else None
        self.unit = unit
        self.last = -1

    def __call__(self, done: float) -> bool:
        pct = min(100, max(0, int(done * 100.0)))
        if pct != self.last:
            self.last = pct
            filled = pct // 4
            tail = ""
            if self.total is not None:
                tail = " %d/%d %ss" % (_count(done, self.total), self.total, self.unit) \
                    if self.unit else " %d/%d" % (_count(done, self.total), self.total)
            sys.stderr.write("\r%s [%-25s] %3d%%%s" % (self.desc, "#" * filled, pct, tail))
            if pct >= 100:
                sys.stderr.write("\n")
            sys.stderr.flush()
        return False

    def close(self) -> None:
        if 0 <= self.last < 100:
            sys.stderr.write("\n")
            sys.stderr.flush()


class _TqdmBar:
    """Adapter from fractions to a tqdm bar: counted in the run's units
    (``total`` scenarios or points) when known, else in percent."""

    def __init__(self, desc: str, total: Optional[int] = None, unit: str = "") -> None:
        from tqdm import tqdm  # optional dependency
        if total and total > 0:
            self.total = total
            self.bar = tqdm(total=total, desc=desc, unit=unit or "it", leave=True)
        else:
            self.total = 100
            self.bar = tqdm(total=100, desc=desc, unit="%", leave=True,
                            bar_format="{l_bar}{bar}| {n:.0f}% [{elapsed}<{remaining}]")
        self.pos = 0

    def __call__(self, done: float) -> bool:
        pos = _count(done, self.total)
        if pos > self.pos:
            self.bar.update(pos - self.pos)
            self.pos = pos
        return False

    def close(self) -> None:
        self.bar.close()


def progress_bar(desc: str = "qpm", total: Optional[int] = None, unit: str = "") -> Any:
    """A progress-bar callable f(done): tqdm's when installed, else a text
    bar; it counts ``total`` items of ``unit`` when given, else percent."""
    try:
        return _TqdmBar(desc, total, unit)
    except ImportError:
        return _TextBar(desc, total, unit)


class Callback:
    """Owns the ctypes callback for one library call.

    Use as a context manager around the call: ``cfn`` is what the C function
    takes (None when there is no callback); after the call, :meth:`reraise`
    re-raises an exception that the Python callable raised."""

    def __init__(self, progress: Any, desc: str = "qpm", total: Optional[int] = None,
                 unit: str = "") -> None:
        self._fn: Optional[Callable[[float], Any]] = None
        self._bar: Any = None
        self.error: Optional[BaseException] = None
        if progress is None or progress is False:
            self.cfn: Any = None
            return
        if progress is True:
            self._bar = progress_bar(desc, total, unit)
            self._fn = self._bar
        elif callable(progress):
            self._fn = progress
        else:
            raise TypeError("progress must be None, a bool or a callable f(done) -> bool")
        self.cfn = PROGRESS_FN(self._call)

    def _call(self, _user: Any, done: float) -> int:
        if self.error is not None:
            return 1
        try:
            return 1 if self._fn is not None and self._fn(done) else 0
        except BaseException as e:  # noqa: BLE001 - re-raised after the C call
            self.error = e
            return 1

    def __enter__(self) -> "Callback":
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._bar is not None:
            self._bar.close()

    def reraise(self) -> None:
        """Raises the exception the callable raised, if any."""
        if self.error is not None:
            err, self.error = self.error, None
            raise err


def callback(progress: Any, desc: str = "qpm", total: Optional[int] = None,
             unit: str = "") -> Callback:
    """A :class:`Callback` for ``progress`` (None, bool or callable); a bar
    counts ``total`` items of ``unit`` when given."""
    return Callback(progress, desc, total, unit)
