"""Exceptions mapped from ``qpm_status`` codes.

Every failing libqpm call raises a subclass of :class:`QpmError` that carries
the numeric ``status``, its symbolic ``name`` (``"QPM_E_INVALID"``) and the
library's detailed message (``qpm_last_error()``, e.g.
``"strike[17] = -5: must be > 0"``).

* usage errors (codes 1-99) derive from :class:`QpmUsageError`, a
  :class:`ValueError`; ``QPM_E_UNSUPPORTED`` is :class:`QpmUnsupportedError`
  (also a :class:`NotImplementedError`);
* ``QPM_E_NOMEM`` is :class:`QpmMemoryError`, a :class:`MemoryError`;
* numerical errors (200-299) derive from :class:`QpmNumericalError`, an
  :class:`ArithmeticError`.
"""
from __future__ import annotations

from typing import Dict, Optional, Type


class QpmError(Exception):
    """Base class of every error raised for a failing libqpm call.

    Attributes: ``status`` (int code), ``name`` (symbolic name) and
    ``message`` (the library's detailed message, possibly empty)."""

    status: int
    name: str
    message: str

    def __init__(self, status: int, name: str, message: str) -> None:
        self.status = int(status)
        self.name = name
        self.message = message
        super().__init__("%s: %s" % (name, message) if message else name)

    def __reduce__(self):  # keeps the three fields through pickling
        return (type(self), (self.status, self.name, self.message))


class QpmLibraryError(ImportError):
    """libqpm could not be found or loaded, or its major version differs from
    the one this package was written for."""


class QpmUsageError(QpmError, ValueError):
    """The caller passed something invalid (status codes 1-99)."""


class QpmNullError(QpmUsageError):
    """QPM_E_NULL: a required array or handle was missing."""


class QpmInvalidError(QpmUsageError):
    """QPM_E_INVALID: an argument is outside its domain."""


class QpmNonFiniteError(QpmUsageError):
    """QPM_E_NONFINITE: an input value is NaN or infinite."""


class QpmSizeError(QpmUsageError):
    """QPM_E_SIZE: a count or dimension is invalid."""


class QpmKeyError(QpmUsageError):
    """QPM_E_KEY: unknown setting key for this handle."""


class QpmRangeError(QpmUsageError):
    """QPM_E_RANGE: a setting value is outside its bounds."""


class QpmStateError(QpmUsageError):
    """QPM_E_STATE: the handle is not in a state that allows the call."""


class QpmUnsupportedError(QpmError, NotImplementedError):
    """QPM_E_UNSUPPORTED: a valid request this handle or build does not provide."""


class QpmMemoryError(QpmError, MemoryError):
    """QPM_E_NOMEM: the allocator returned NULL."""


class QpmThreadError(QpmError, RuntimeError):
    """QPM_E_THREAD: a worker thread could not be started."""


class QpmCancelledError(QpmError):
    """QPM_E_CANCELLED: the progress callback asked the computation to stop
    (in Python: the callback raised an exception or returned True)."""


class QpmNumericalError(QpmError, ArithmeticError):
    """Valid input the computation cannot serve (status codes 200-299)."""


class QpmNoConvergeError(QpmNumericalError):
    """QPM_E_NOCONVERGE: an iteration did not converge."""


class QpmSingularError(QpmNumericalError):
    """QPM_E_SINGULAR: a matrix is singular to working precision."""


class QpmNotPSDError(QpmNumericalError):
    """QPM_E_NOTPSD: a matrix is not positive semi-definite."""


class QpmArbitrageError(QpmNumericalError):
    """QPM_E_ARBITRAGE: a price lies outside its no-arbitrage bounds."""


class QpmInfeasibleError(QpmNumericalError):
    """QPM_E_INFEASIBLE: the constraints of a problem admit no solution."""


#: status code -> exception class
STATUS_EXCEPTIONS: Dict[int, Type[QpmError]] = {
    1: QpmNullError,
    2: QpmInvalidError,
    3: QpmNonFiniteError,
    4: QpmSizeError,
    5: QpmKeyError,
    6: QpmRangeError,
    7: QpmUnsupportedError,
    8: QpmStateError,
    100: QpmMemoryError,
    101: QpmThreadError,
    102: QpmCancelledError,
    200: QpmNoConvergeError,
    201: QpmSingularError,
    202: QpmNotPSDError,
    203: QpmArbitrageError,
    204: QpmInfeasibleError,
    205: QpmNumericalError,  # QPM_E_OVERFLOW: a result is beyond the range of double
}


def exception_class(status: int) -> Type[QpmError]:
    """The exception class raised for ``status`` (by range for unknown codes)."""
    cls = STATUS_EXCEPTIONS.get(int(status))
    if cls is not None:
        return cls
    if 1 <= status <= 99:
        return QpmUsageError
    if 200 <= status <= 299:
        return QpmNumericalError
    return QpmError


def make_error(status: int, message: Optional[str] = None) -> QpmError:
    """Builds the exception for ``status``, reading qpm_status_name() and, when
    ``message`` is None, this thread's qpm_last_error()."""
    from . import _lib
    L = _lib.lib()
    name = L.qpm_status_name(status).decode("ascii", "replace")
    if message is None:
        message = L.qpm_last_error().decode("utf-8", "replace")
    return exception_class(status)(status, name, message)


def check(status: int) -> None:
    """Raises the mapped exception when ``status`` is not QPM_OK (0)."""
    if status:
        raise make_error(status)
