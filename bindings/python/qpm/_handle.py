"""Base class of every handle wrapper (Pricer, Cov, Rng; Book, Optimizer and
Risk slot in the same way).

A handle owns one opaque C object.  It is freed exactly once: by
:meth:`Handle.close`, by leaving a ``with`` block, or by the finaliser when
the Python object is collected.  Settings go through :meth:`Handle.set`,
:meth:`Handle.get` and :meth:`Handle.bounds`, backed by the module's
``qpm_<x>_set``/``_get``/``_bounds``, and described by :meth:`Handle.describe`
(``qpm_<x>_describe``, experimental in C).  A handle is used by one thread at
a time, like the C object it wraps.
"""
from __future__ import annotations

import ctypes
import weakref
from typing import Any, Callable, Optional, Tuple, Type, TypeVar

from . import _lib
from ._errors import check
from .core import SettingInfo, SettingType, _CSettingInfo

H = TypeVar("H", bound="Handle")


def _free(free_fn: Callable[[Any], None], ptr: ctypes.c_void_p) -> None:
    free_fn(ptr)


class Handle:
    """Owner of one libqpm handle.

    Subclasses set ``_prefix`` (``"qpm_pricer"``), from which the C functions
    ``<prefix>_free`` and ``<prefix>_set/_get/_bounds`` are looked up, and
    ``_key_enum``, the IntEnum of setting keys.  Using a closed handle raises
    ValueError.
    """

    _prefix: str = ""
    _key_enum: Optional[Type[Any]] = None

    _ptr: Optional[ctypes.c_void_p] = None
    _finalizer: Optional[weakref.finalize] = None

    def _open(self, create_name: str, *args: Any) -> None:
        """Calls ``create_name(&out, NULL, *args)`` (default allocator) and
        takes ownership of the result; raises the mapped error on failure."""
        ptr = ctypes.c_void_p()
        check(_lib.fn(create_name)(ctypes.byref(ptr), None, *args))
        self._adopt(ptr)

    def _adopt(self, ptr: ctypes.c_void_p) -> None:
        """Takes ownership of a freshly created C handle."""
        self._ptr = ptr
        self._finalizer = weakref.finalize(self, _free, _lib.fn(self._prefix + "_free"), ptr)
        self._setup()

    def _setup(self) -> None:
        """Hook for subclasses: per-handle caches, run once the handle exists."""

    @classmethod
    def _wrap(cls: Type[H], ptr: ctypes.c_void_p) -> H:
        """A new Python object owning ``ptr`` (bypasses ``__init__``)."""
        self = cls.__new__(cls)
        self._adopt(ptr)
        return self

    @property
    def handle(self) -> ctypes.c_void_p:
        """The C handle (``c_void_p``); raises ValueError once closed."""
        p = self._ptr
        if p is None:
            raise ValueError("%s is closed" % type(self).__name__)
        return p

    @property
    def closed(self) -> bool:
        """True once :meth:`close` ran."""
        return self._ptr is None

    def close(self) -> None:
        """Frees the C handle now.  Idempotent."""
        f = self._finalizer
        self._ptr = None
        if f is not None:
            f()

    def __enter__(self: H) -> H:
        self.handle  # raises when closed
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self._ptr is None else "at 0x%x" % (self._ptr.value or 0)
        return "<qpm.%s %s>" % (type(self).__name__, state)

    # ---- settings -----------------------------------------------------
    @classmethod
    def _key(cls, key: Any) -> int:
        if cls._key_enum is not None and isinstance(key, str):
            try:
                return int(cls._key_enum[key.upper()])
            except KeyError:
                raise ValueError("unknown %s setting %r" % (cls.__name__, key)) from None
        return int(key)

    def set(self, key: Any, value: float) -> None:
        """Changes a setting; ``key`` is a key enum member, its value or its
        name (case-insensitive).  Raises QpmKeyError / QpmRangeError."""
        check(_lib.fn(self._prefix + "_set")(self.handle, self._key(key), float(value)))

    def get(self, key: Any) -> float:
        """Current value of a setting."""
        v = ctypes.c_double()
        check(_lib.fn(self._prefix + "_get")(self.handle, self._key(key), ctypes.byref(v)))
        return v.value

    @classmethod
    def bounds(cls, key: Any) -> Tuple[float, float]:
        """(lowest, highest) value :meth:`set` accepts for ``key``."""
        lo, hi = ctypes.c_double(), ctypes.c_double()
        check(_lib.fn(cls._prefix + "_bounds")(cls._key(key), ctypes.byref(lo),
                                               ctypes.byref(hi)))
        return lo.value, hi.value

    @classmethod
    def describe(cls, key: Any) -> SettingInfo:
        """Name, type, bounds, default, read-only flag and (for an
        enumeration) value names of the setting ``key``, from the library's
        own settings table.  Backed by ``<prefix>_describe``, which is in
        libqpm's experimental tier: the fields may grow between minor
        releases."""
        info = _CSettingInfo()
        info.size = ctypes.sizeof(info)
        check(_lib.fn(cls._prefix + "_describe")(cls._key(key), ctypes.byref(info)))
        labels: Tuple[str, ...] = ()
        if info.labels:
            labels = tuple(info.labels[i].decode("ascii")
                           for i in range(int(info.hi - info.lo) + 1))
        return SettingInfo(info.name.decode("ascii"), SettingType(info.type),
                           bool(info.read_only), info.lo, info.hi, info.def_, labels)
