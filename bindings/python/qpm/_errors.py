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

import operator
import re
from typing import Any, Callable, Dict, Mapping, Optional, Tuple, Type


class QpmError(Exception):
    """Base class of every error raised for a failing libqpm call.

    Attributes: ``status`` (int code), ``name`` (symbolic name),
    ``message`` (the detail in this package's terms: Python argument,
    setting and method names) and ``c_message`` (the library's own
    ``qpm_last_error()`` text, in C terms; equal to ``message`` when
    nothing needed translating)."""

    status: int
    name: str
    message: str
    c_message: str

    def __init__(self, status: int, name: str, message: str,
                 c_message: Optional[str] = None) -> None:
        self.status = operator.index(status)
        self.name = name
        self.message = message
        self.c_message = message if c_message is None else c_message
        super().__init__("%s: %s" % (name, message) if message else name)

    def __reduce__(self) -> Tuple[Any, Tuple[int, str, str, str]]:
        # keeps the fields through pickling
        return (type(self), (self.status, self.name, self.message, self.c_message))


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
    cls = STATUS_EXCEPTIONS.get(operator.index(status))
    if cls is not None:
        return cls
    if 1 <= status <= 99:
        return QpmUsageError
    if 200 <= status <= 299:
        return QpmNumericalError
    return QpmError


# ---- C terms -> Python terms ------------------------------------------------
# Messages of the C library name C functions (qpm_cov_fit), C enum types
# (qpm_instrument), C constants (QPM_OPT_MAX_ITER), NULL and numeric setting
# keys.  The modules register the Python spelling of each; translate() then
# rewrites a message, with per-call renames of C argument names on top.

#: C function or type name -> Python spelling ("qpm_cov_fit" -> "Cov.fit()")
PY_NAMES: Dict[str, str] = {}
#: C constant -> Python spelling ("QPM_OPT_MAX_ITER" -> "max_iter")
PY_CONSTANTS: Dict[str, str] = {}

_C_NAME = re.compile(r"\bqpm_[a-z0-9_]+")
_C_CONST = re.compile(r"\bQPM_[A-Z0-9_]+")
_NULL = re.compile(r"\bNULL\b")
_KEY_VALUE = re.compile(r"\bvalue = (\S+) for key (-?\d+)")
_KEY_UNKNOWN = re.compile(r"\bkey = (-?\d+): not a [A-Za-z_]+(?: setting| key)?")
_KEY_READ_ONLY = re.compile(r"\bkey = ([a-z0-9_]+): read-only")
_A_VOWEL = re.compile(r"\bnot a (?=[AEIOU])")


def register_names(names: Mapping[str, str]) -> None:
    """Adds C name -> Python name pairs (functions and types)."""
    PY_NAMES.update(names)


def register_enum(enum_cls: Any, prefix: str, *, settings: bool = False,
                  suffix: str = "") -> None:
    """Registers the C constants ``prefix + MEMBER + suffix`` of an enum:
    setting keys as their lower-case names (what ``set()`` accepts), values
    as ``Class.MEMBER``."""
    for m in enum_cls:
        c = prefix + m.name + suffix
        PY_CONSTANTS[c] = m.name.lower() if settings else "%s.%s" % (enum_cls.__name__,
                                                                        m.name)


def translate(text: str, names: Optional[Mapping[str, str]] = None,
              keys: Optional[Callable[[int], str]] = None, owner: str = "") -> str:
    """The C library's message ``text`` in Python terms.

    ``names`` renames C argument names where the Python argument differs
    (``{"settle": "settlement"}``); ``keys`` turns a numeric setting key
    into its name; ``owner`` is the Python class of the handle."""
    if not text:
        return text
    s = _C_CONST.sub(lambda m: PY_CONSTANTS.get(m.group(0), m.group(0)), text)
    s = _KEY_VALUE.sub(lambda m: "%s = %s" % (keys(int(m.group(2))) if keys else
                                               "setting %s" % m.group(2), m.group(1)), s)
    s = _KEY_UNKNOWN.sub(lambda m: "setting %s: not a%s setting" % (
        m.group(1), (" " + owner) if owner else ""), s)
    s = _KEY_READ_ONLY.sub(lambda m: "setting %r: read-only" % m.group(1), s)
    s = _C_NAME.sub(lambda m: PY_NAMES.get(m.group(0), m.group(0)), s)
    s = _NULL.sub("None", s)
    s = _A_VOWEL.sub("not an ", s)
    if names:
        for c, py in names.items():
            # an argument name where it names a value: "t = 0", "q:", "x[3]"
            s = re.sub(r"(?<![\w.\[])%s(?=(?:\[\d+\])*(?: =| \*|:| is\b|\[))" % re.escape(c),
                       py.replace("\\", "\\\\"), s)
    return s


def make_error(status: int, message: Optional[str] = None,
               names: Optional[Mapping[str, str]] = None,
               keys: Optional[Callable[[int], str]] = None, owner: str = "") -> QpmError:
    """Builds the exception for ``status``, reading qpm_status_name() and, when
    ``message`` is None, this thread's qpm_last_error() (translated to
    Python terms; the C text stays in ``c_message``)."""
    from . import _lib
    L = _lib.lib()
    name = L.qpm_status_name(status).decode("ascii", "replace")
    if message is None:
        c_text = L.qpm_last_error().decode("utf-8", "replace")
        return exception_class(status)(status, name, translate(c_text, names, keys, owner),
                                       c_text)
    return exception_class(status)(status, name, message)


def check(status: int, names: Optional[Mapping[str, str]] = None) -> None:
    """Raises the mapped exception when ``status`` is not QPM_OK (0)."""
    if status:
        raise make_error(status, None, names)
