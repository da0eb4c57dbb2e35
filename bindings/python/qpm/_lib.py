"""Locating, loading and validating the libqpm shared library.

The library is loaded lazily, on the first call that needs it, from the first
of these that exists:

1. the path given to :func:`load_library`;
2. the ``QPM_LIBRARY`` environment variable (when set, the only candidate);
3. the copy beside the package (``qpm/libqpm.so.<MAJOR>``), which a wheel
   built from the repository's pyproject.toml carries;
4. when the package is used from a source checkout (``bindings/python``),
   a meson build tree of that checkout (``build/libqpm.so``, then other
   ``build*/`` folders);
5. the system library (``libqpm.so.<MAJOR>`` through the dynamic loader,
   then ``ctypes.util.find_library("qpm")``).

A library whose major version differs from :data:`EXPECTED_MAJOR` is refused:
the ABI is only stable within one major version.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import operator
import os
import threading
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

from ._errors import QpmLibraryError

#: Major version of the C library this package was written for.
EXPECTED_MAJOR = 0

c_double_p = ctypes.POINTER(ctypes.c_double)

# Prototype table filled by the modules of this package at import time:
# name -> (restype, argtypes).  Applied when the library is loaded.
_PROTOTYPES: Dict[str, Tuple[Any, Sequence[Any]]] = {}

_lock = threading.Lock()
_cdll: Optional[ctypes.CDLL] = None
_path: Optional[str] = None
_missing: List[str] = []


def declare(name: str, restype: Any, *argtypes: Any) -> None:
    """Records the C prototype of ``name`` (applied when the library loads)."""
    _PROTOTYPES[name] = (restype, argtypes)
    if _cdll is not None:
        _apply(_cdll, name)


def _apply(cdll: ctypes.CDLL, name: str) -> None:
    restype, argtypes = _PROTOTYPES[name]
    try:
        f = getattr(cdll, name)
    except AttributeError:
        if name not in _missing:
            _missing.append(name)
        return
    f.restype = restype
    f.argtypes = list(argtypes)


def _source_root() -> Optional[Path]:
    """The checkout root when this package sits in bindings/python/qpm."""
    here = Path(__file__).resolve().parent
    root = here.parent.parent.parent
    if (root / "include" / "qpm" / "common.h").is_file():
        return root
    return None


def bundled_paths() -> List[str]:
    """Copies of libqpm beside the package (a wheel install), newest name
    first: ``libqpm.so.<EXPECTED_MAJOR>``, then any other ``libqpm.so*``."""
    here = Path(__file__).resolve().parent
    first = here / ("libqpm.so.%d" % EXPECTED_MAJOR)
    out = [str(first)] if first.exists() else []
    for p in sorted(here.glob("libqpm.so*")):
        if p != first and p.is_file():
            out.append(str(p))
    return out


def candidate_paths() -> List[str]:
    """Paths tried, in order, when no explicit path is given.  A set
    ``QPM_LIBRARY`` is the only candidate: an explicit choice never falls back
    to another copy."""
    env = os.environ.get("QPM_LIBRARY")
    if env:
        return [env]
    out = bundled_paths()
    root = _source_root()
    if root is not None:
        first = root / "build" / "libqpm.so"
        if first.exists():
            out.append(str(first))
        for d in sorted(root.glob("build*/libqpm.so")):
            if d != first:
                out.append(str(d))
    out.append("libqpm.so.%d" % EXPECTED_MAJOR)
    found = ctypes.util.find_library("qpm")
    if found:
        out.append(found)
    return out


def check_version(number: int, origin: str = "libqpm") -> None:
    """Raises :class:`QpmLibraryError` unless ``number // 10000`` (the major
    version of a ``qpm_version_number()`` value) equals EXPECTED_MAJOR."""
    number = operator.index(number)
    major = number // 10000
    if major != EXPECTED_MAJOR:
        raise QpmLibraryError(
            "%s has major version %d (%d.%d.%d); this package needs major %d"
            % (origin, major, major, (number // 100) % 100, number % 100, EXPECTED_MAJOR))


class _NotLoadable(QpmLibraryError):
    """The path does not hold a loadable libqpm (try the next candidate)."""


def _open(path: str) -> ctypes.CDLL:
    try:
        cdll = ctypes.CDLL(path)
    except OSError as e:
        raise _NotLoadable("cannot load libqpm from %r: %s" % (path, e)) from None
    try:
        vn = cdll.qpm_version_number
    except AttributeError:
        raise _NotLoadable("%r is not libqpm (no qpm_version_number)" % path) from None
    vn.restype = ctypes.c_uint
    vn.argtypes = []
    check_version(vn(), path)
    return cdll


def load_library(path: Optional[str] = None) -> str:
    """Loads libqpm and returns the path it was loaded from.

    With ``path`` the library is loaded from exactly there; without, from the
    first candidate of :func:`candidate_paths` that loads.  Calling it again
    after a successful load returns the loaded path; asking for another path
    then raises :class:`QpmLibraryError` (a process holds one libqpm).

    Raises :class:`QpmLibraryError` when nothing loads or the major version
    differs from :data:`EXPECTED_MAJOR`.
    """
    global _cdll, _path
    with _lock:
        if _cdll is not None:
            if path is not None and os.path.realpath(path) != os.path.realpath(_path or ""):
                raise QpmLibraryError("libqpm is already loaded from %r" % _path)
            return _path or ""
        if path is not None:
            cdll = _open(str(path))
            where = str(path)
        else:
            errors = []
            cdll = None
            where = ""
            for cand in candidate_paths():
                try:
                    cdll = _open(cand)
                    where = cand
                    break
                except _NotLoadable as e:
                    errors.append(str(e))
            if cdll is None:
                raise QpmLibraryError("libqpm not found; set QPM_LIBRARY or call "
                                      "qpm.load_library(path). Tried: " + "; ".join(errors))
        assert cdll is not None
        for name in _PROTOTYPES:
            _apply(cdll, name)
        _cdll, _path = cdll, where
        return where


def lib() -> ctypes.CDLL:
    """The loaded library (loading it on first use)."""
    if _cdll is None:
        load_library()
    assert _cdll is not None
    return _cdll


def library_path() -> Optional[str]:
    """Path libqpm was loaded from, or None before it is loaded."""
    return _path


def fn(name: str) -> Callable[..., Any]:
    """The C function ``name`` with its declared prototype.  Raises
    :class:`QpmUnsupportedError` when the loaded library lacks it (an older
    minor version)."""
    cdll = lib()
    if name in _missing:
        from ._errors import QpmUnsupportedError
        raise QpmUnsupportedError(7, "QPM_E_UNSUPPORTED",
                                  "%s is not exported by %s" % (name, _path))
    f: Callable[..., Any] = getattr(cdll, name)
    return f


def raw_fn(name: str, restype: Any = ctypes.c_int) -> Callable[..., Any]:
    """A separate function object for ``name`` with no argtypes, for hot
    paths that pass only prebuilt ctypes objects (the cheapest call ctypes
    makes: nothing to convert)."""
    fn(name)  # raises when missing
    f = lib()[name]
    f.restype = restype
    return f


def missing_symbols() -> List[str]:
    """Declared functions that the loaded library does not export."""
    lib()
    return list(_missing)
