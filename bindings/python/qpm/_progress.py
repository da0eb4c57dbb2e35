"""Progress callbacks: Python callables and progress bars behind
``qpm_progress_fn``.

Handles that do long work (Monte Carlo risk, efficient frontiers) take a
``progress`` argument, turned into a C callback by :func:`callback`:

* ``None`` or ``False``: no callback;
* ``True``: a progress bar, from tqdm when it is installed, otherwise a plain
  text bar on stderr;
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


class _TextBar:
    """A minimal stderr progress bar (used when tqdm is not installed)."""

    def __init__(self, desc: str) -> None:
        self.desc = desc
        self.last = -1

    def __call__(self, done: float) -> bool:
        pct = int(done * 100.0)
        if pct != self.last:
            self.last = pct
            filled = pct // 4
            sys.stderr.write("\r%s [%-25s] %3d%%" % (self.desc, "#" * filled, pct))
            if pct >= 100:
                sys.stderr.write("\n")
            sys.stderr.flush()
        return False

    def close(self) -> None:
        if 0 <= self.last < 100:
            sys.stderr.write("\n")
            sys.stderr.flush()


class _TqdmBar:
    """Adapter from fractions to a tqdm bar counted in per mille."""

    def __init__(self, desc: str) -> None:
        from tqdm import tqdm  # optional dependency
        self.bar = tqdm(total=1000, desc=desc, unit="‰", leave=True)
        self.pos = 0

    def __call__(self, done: float) -> bool:
        pos = int(done * 1000.0)
        if pos > self.pos:
            self.bar.update(pos - self.pos)
            self.pos = pos
        return False

    def close(self) -> None:
        self.bar.close()


def progress_bar(desc: str = "qpm") -> Any:
    """A progress-bar callable: tqdm's when installed, else a text bar."""
    try:
        return _TqdmBar(desc)
    except ImportError:
        return _TextBar(desc)


class Callback:
    """Owns the ctypes callback for one library call.

    Use as a context manager around the call: ``cfn`` is what the C function
    takes (None when there is no callback); after the call, :meth:`reraise`
    re-raises an exception that the Python callable raised."""

    def __init__(self, progress: Any, desc: str = "qpm") -> None:
        self._fn: Optional[Callable[[float], Any]] = None
        self._bar: Any = None
        self.error: Optional[BaseException] = None
        if progress is None or progress is False:
            self.cfn: Any = None
            return
        if progress is True:
            self._bar = progress_bar(desc)
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
            return 1 if self._fn is not None and self._fn(float(done)) else 0
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


def callback(progress: Any, desc: str = "qpm") -> Callback:
    """A :class:`Callback` for ``progress`` (None, bool or callable)."""
    return Callback(progress, desc)
