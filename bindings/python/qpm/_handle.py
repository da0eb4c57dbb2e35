"""Base class of every handle wrapper (Pricer, Cov, Rng, ...).

A handle owns one opaque C object.  It is freed exactly once: by
:meth:`Handle.close`, by leaving a ``with`` block, or by the finaliser when
the Python object is collected.  Settings go through :meth:`Handle.set`,
:meth:`Handle.get` and :meth:`Handle.bounds` when the C module provides
``qpm_<x>_set``/``_get``/``_bounds``.
"""
from __future__ import annotations

import ctypes
import weakref
from typing import Any, Callable, Optional, Tuple, Type, TypeVar

from . import _lib
from ._errors import check

H = TypeVar("H", bound="Handle")


def _free(free_fn: Callable[[Any], None], ptr: ctypes.c_void_p) -> None:
    free_fn(ptr)


class Handle:
    """Owner of one libqpm handle.

    Subclasses set ``_prefix`` (``"qpm_pricer"``); the C functions
    ``<prefix>_free`` and, for settings, ``<prefix>_set/_get/_bounds`` are
    looked up from it.  A closed handle raises ValueError when used.
    """

    _prefix: str = ""
    _key_enum: Optional[Type[Any]] = None

    _ptr: Optional[ctypes.c_void_p]

    def __init__(self) -> None:
        self._ptr = None
        self._finalizer: Optional[weakref.finalize] = None

    def _adopt(self, ptr: ctypes.c_void_p) -> None:
        """Takes ownership of a freshly created C handle."""
        self._ptr = ptr
        self._finalizer = weakref.finalize(self, _free, _lib.fn(self._prefix + "_free"), ptr)

    @classmethod
    def _create(cls: Type[H], create_name: str, *args: Any) -> H:
        """Calls ``create_name(&out, NULL allocator, *args)`` and wraps the result."""
        self = cls.__new__(cls)
        Handle.__init__(self)
        ptr = ctypes.c_void_p()
        check(_lib.fn(create_name)(ctypes.byref(ptr), None, *args))
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
        """True once :meth:`close` ran (or creation failed)."""
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
        state = "closed" if self._ptr is None else "0x%x" % (self._ptr.value or 0)
        return "<qpm.%s %s>" % (type(self).__name__, state)

    # ---- settings -----------------------------------------------------
    def _key(self, key: Any) -> int:
        if self._key_enum is not None and isinstance(key, str):
            return int(self._key_enum[key.upper()])
        return int(key)

    def set(self, key: Any, value: float) -> None:
        """Sets a setting (an enum member, its int value or its name)."""
        check(_lib.fn(self._prefix + "_set")(self.handle, self._key(key), float(value)))

    def get(self, key: Any) -> float:
        """Current value of a setting."""
        v = ctypes.c_double()
        check(_lib.fn(self._prefix + "_get")(self.handle, self._key(key), ctypes.byref(v)))
        return v.value

    def bounds(self, key: Any) -> Tuple[float, float]:
        """(lowest, highest) value a setting accepts."""
        lo, hi = ctypes.c_double(), ctypes.c_double()
        check(_lib.fn(self._prefix + "_bounds")(self._key(key), ctypes.byref(lo),
                                                ctypes.byref(hi)))
        return lo.value, hi.value
