"""Base class of every handle wrapper (Pricer, Rng, Cov, Book, Optimizer,
Risk).

A handle owns one opaque C object.  It is freed exactly once: by
:meth:`Handle.close`, by leaving a ``with`` block, or by the finaliser when
the Python object is collected.  Settings go through :meth:`Handle.set`,
:meth:`Handle.get` and :meth:`Handle.bounds`, backed by the module's
``qpm_<x>_set``/``_get``/``_bounds``, and described by :meth:`Handle.describe`
(``qpm_<x>_describe``, experimental in C).

Threads: the C object may be used by one thread at a time, so every C call
on a handle holds the handle's lock for its duration (calls that use two
handles, such as ``Risk.simulate(book)``, take both, always in the same
order).  Threads sharing one handle therefore take turns; threads with
their own handles run in parallel (ctypes releases the GIL during the
call).  :meth:`Handle.close` waits for a call in flight on another thread
before freeing.  A call made on a handle from inside one of its own calls
(from a progress callback) raises :class:`HandleBusyError` instead of
re-entering the C object.

Handles cannot be copied or pickled (they own a C pointer): ``copy.copy``,
``copy.deepcopy`` and ``pickle`` raise TypeError.
"""
from __future__ import annotations

import ctypes
import threading
import weakref
from typing import (Any, Callable, Dict, Iterator, Mapping, NoReturn, Optional, Tuple, Type,
                    TypeVar, Union)

from . import _arrays, _lib
from ._errors import make_error
from .core import SettingInfo, SettingType, _CSettingInfo

H = TypeVar("H", bound="Handle")

#: What :meth:`Handle.set`/:meth:`Handle.get` accept as a key: a key enum
#: member, its value or its (case-insensitive) name.
KeyLike = Union[int, str]


class HandleBusyError(RuntimeError):
    """A handle was used (or closed) from inside one of its own calls, for
    example from a progress callback: the C object is in the middle of that
    call and cannot serve another."""


def _free(free_fn: Callable[[Any], None], ptr: ctypes.c_void_p) -> None:
    free_fn(ptr)


class _Using:
    """Context manager holding the locks of one or more handles (taken in
    a fixed order, so two threads never wait on each other) and marking
    them busy; yields nothing, the pointers are read by the caller."""

    __slots__ = ("hs",)

    def __init__(self, hs: Tuple["Handle", ...]) -> None:
        self.hs = hs

    def __enter__(self) -> None:
        taken = []
        try:
            for h in self.hs:
                h._lock.acquire()
                taken.append(h)
                if h._ptr is None:
                    raise ValueError("%s is closed" % type(h).__name__)
                if h._depth:
                    h._busy()
            for h in self.hs:
                h._depth += 1
        except BaseException:
            for h in reversed(taken):
                h._lock.release()
            raise

    def __exit__(self, *exc: Any) -> None:
        for h in reversed(self.hs):
            h._depth -= 1
            h._lock.release()


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
    _depth: int = 0

    def _open(self, create_name: str, *args: Any, names: Optional[Mapping[str, str]] = None
              ) -> None:
        """Calls ``create_name(&out, NULL, *args)`` (default allocator) and
        takes ownership of the result; raises the mapped error on failure."""
        ptr = ctypes.c_void_p()
        st = _lib.fn(create_name)(ctypes.byref(ptr), None, *args)
        if st:
            raise make_error(st, None, names, owner=type(self).__name__)
        self._adopt(ptr)

    def _adopt(self, ptr: ctypes.c_void_p) -> None:
        """Takes ownership of a freshly created C handle."""
        self._lock = threading.RLock()
        self._depth = 0
        self._own(ptr)
        self._setup()

    def _own(self, ptr: ctypes.c_void_p) -> None:
        self._ptr = ptr
        f = weakref.finalize(self, _free, _lib.fn(self._prefix + "_free"), ptr)
        # At interpreter exit another thread may still be inside a call on
        # this handle: leave it to the process's end rather than free it.
        f.atexit = False
        self._finalizer = f

    def _take(self, other: "Handle") -> None:
        """Moves ``other``'s C object into this wrapper (which must hold its
        lock) and frees the one this wrapper held; ``other`` ends closed."""
        p, f = other._ptr, other._finalizer
        if p is None or f is None:
            raise ValueError("%s is closed" % type(other).__name__)
        f.detach()
        other._ptr = other._finalizer = None
        old = self._finalizer
        self._own(p)
        if old is not None:
            old()

    def _setup(self) -> None:
        """Hook for subclasses: per-handle caches, run once the handle exists."""

    @classmethod
    def _wrap(cls: Type[H], ptr: ctypes.c_void_p) -> H:
        """A new Python object owning ``ptr`` (bypasses ``__init__``)."""
        self = cls.__new__(cls)
        self._adopt(ptr)
        return self

    # ---- calls ------------------------------------------------------------
    def _busy(self) -> NoReturn:
        raise HandleBusyError("%s is in the middle of one of its own calls on this thread "
                              "(a progress callback may not use or close the handle it "
                              "reports on)" % type(self).__name__)

    def _names(self) -> Optional[Mapping[str, str]]:
        """C argument name -> Python name for this handle's messages."""
        return None

    @classmethod
    def _key_name(cls, key: int) -> str:
        """The Python name of setting key ``key`` ("threads")."""
        e = cls._key_enum
        if e is not None:
            try:
                return str(e(key).name.lower())
            except ValueError:
                pass
        return "setting %d" % key

    def _error(self, st: int, names: Optional[Mapping[str, str]] = None) -> BaseException:
        """The exception for status ``st`` of a call just made on this thread."""
        if names is None:
            names = self._names()
        return make_error(st, None, names, self._key_name, type(self).__name__)

    def _call(self, fn: Callable[..., int], *args: Any,
              names: Optional[Mapping[str, str]] = None) -> None:
        """Calls ``fn(<this handle>, *args)`` holding the handle's lock and
        raises the mapped error for a failing status."""
        with self._lock:
            p = self._ptr
            if p is None:
                raise ValueError("%s is closed" % type(self).__name__)
            if self._depth:
                self._busy()
            self._depth = 1
            try:
                st = fn(p, *args)
                if st:
                    raise self._error(st, names)
            finally:
                self._depth = 0

    def _c(self, fname: str, *args: Any, names: Optional[Mapping[str, str]] = None) -> None:
        """:meth:`_call` of the C function named ``fname``."""
        self._call(_lib.fn(fname), *args, names=names)

    def _using(self, *others: "Handle") -> _Using:
        """``with self._using(other, ...):`` holds the locks of this handle
        and the others; read ``h._ptr`` inside."""
        hs = {id(h): h for h in (self,) + others}
        return _Using(tuple(hs[k] for k in sorted(hs)))

    @property
    def handle(self) -> ctypes.c_void_p:
        """The C handle (``c_void_p``); raises ValueError once closed.  Using
        it from C code bypasses the handle's lock."""
        p = self._ptr
        if p is None:
            raise ValueError("%s is closed" % type(self).__name__)
        return p

    @property
    def closed(self) -> bool:
        """True once :meth:`close` ran."""
        return self._ptr is None

    def close(self, timeout: Optional[float] = None) -> None:
        """Frees the C handle now.  Idempotent.  A call in flight on another
        thread is waited for (at most ``timeout`` seconds when given, then
        RuntimeError); closing from inside one of the handle's own calls (a
        progress callback) raises :class:`HandleBusyError`."""
        lock = getattr(self, "_lock", None)
        if lock is None:  # never opened
            return
        if not lock.acquire(timeout=-1 if timeout is None else max(timeout, 0.0)):
            raise RuntimeError("%s is busy in another thread: not closed after %s s"
                               % (type(self).__name__, timeout))
        try:
            if self._depth:
                self._busy()
            f = self._finalizer
            self._ptr = None
            if f is not None:
                f()
        finally:
            lock.release()

    def __enter__(self: H) -> H:
        self.handle  # raises when closed
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # ---- no copies --------------------------------------------------------
    def __copy__(self) -> NoReturn:
        raise TypeError("%s cannot be copied: it owns a C handle (create a new one)"
                        % type(self).__name__)

    def __deepcopy__(self, memo: Dict[int, Any]) -> NoReturn:
        raise TypeError("%s cannot be copied: it owns a C handle (create a new one)"
                        % type(self).__name__)

    def __reduce_ex__(self, protocol: Any) -> NoReturn:
        raise TypeError("%s cannot be pickled: it owns a C handle" % type(self).__name__)

    # ---- repr -------------------------------------------------------------
    def _describe(self) -> Iterator[Tuple[str, Any]]:
        """(name, value) pairs for repr(); the handle's lock is held."""
        return iter(())

    def __repr__(self) -> str:
        cls = "qpm.%s" % type(self).__name__
        lock = getattr(self, "_lock", None)
        if self._ptr is None or lock is None:
            return "<%s closed>" % cls
        if not lock.acquire(blocking=False):
            return "<%s busy in another thread>" % cls
        try:
            if self._ptr is None:
                return "<%s closed>" % cls
            if self._depth:
                return "<%s busy>" % cls
            parts = ["%s=%s" % kv for kv in self._describe()]
        finally:
            lock.release()
        return "<%s %s>" % (cls, " ".join(parts)) if parts else "<%s>" % cls

    # ---- settings -----------------------------------------------------
    @classmethod
    def _key(cls, key: Any) -> int:
        e = cls._key_enum
        if isinstance(key, str):
            if e is not None:
                try:
                    return int(e[key.upper()])
                except KeyError:
                    pass
            raise ValueError("unknown %s setting %r%s" % (
                cls.__name__, key, "; choose from %s" % ", ".join(m.name.lower() for m in e)
                if e is not None else ""))
        return _arrays.int32(key, "key")

    def _value(self, key: int, value: Any) -> float:
        """The double a setting takes (subclasses map names of enum values);
        the library checks its range and that it is whole where it must be."""
        if isinstance(value, str):
            raise ValueError("setting %s takes a number, got %r" % (self._key_name(key), value))
        return _arrays.double(value, self._key_name(key))

    def set(self, key: KeyLike, value: Any) -> None:
        """Changes a setting; ``key`` is a key enum member, its value or its
        name (case-insensitive).  Raises QpmKeyError / QpmRangeError."""
        k = self._key(key)
        self._c(self._prefix + "_set", k, self._value(k, value))

    def get(self, key: KeyLike) -> float:
        """Current value of a setting."""
        v = ctypes.c_double()
        self._c(self._prefix + "_get", self._key(key), ctypes.byref(v))
        return v.value

    @classmethod
    def bounds(cls, key: KeyLike) -> Tuple[float, float]:
        """(lowest, highest) value :meth:`set` accepts for ``key``."""
        lo, hi = ctypes.c_double(), ctypes.c_double()
        k = cls._key(key)
        st = _lib.fn(cls._prefix + "_bounds")(k, ctypes.byref(lo), ctypes.byref(hi))
        if st:
            raise make_error(st, None, None, cls._key_name, cls.__name__)
        return lo.value, hi.value

    @classmethod
    def describe(cls, key: KeyLike) -> SettingInfo:
        """Name, type, bounds, default, read-only flag and (for an
        enumeration) value names of the setting ``key``, from the library's
        own settings table.  Backed by ``<prefix>_describe``, which is in
        libqpm's experimental tier: the fields may grow between minor
        releases."""
        info = _CSettingInfo()
        info.size = ctypes.sizeof(info)
        k = cls._key(key)
        st = _lib.fn(cls._prefix + "_describe")(k, ctypes.byref(info))
        if st:
            raise make_error(st, None, None, cls._key_name, cls.__name__)
        labels: Tuple[str, ...] = ()
        if info.labels:
            labels = tuple(info.labels[i].decode("ascii")
                           for i in range(int(info.hi - info.lo) + 1))
        return SettingInfo(info.name.decode("ascii"), SettingType(info.type),
                           bool(info.read_only), info.lo, info.hi, info.def_, labels)
