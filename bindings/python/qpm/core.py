"""Core: version, status names, last error, CPU features."""
from __future__ import annotations

import ctypes
import enum
from typing import NamedTuple, Tuple

from . import _arrays, _lib
from ._errors import register_enum


__all__ = [
    "Status",
    "CpuFeature",
    "SettingType",
    "SettingInfo",
    "version_number",
    "version_string",
    "version",
    "status_str",
    "status_name",
    "last_error",
    "last_status",
    "clear_error",
    "cpu_features",
    "max_threads",
]

_lib.declare("qpm_version_number", ctypes.c_uint)
_lib.declare("qpm_version_string", ctypes.c_char_p)
_lib.declare("qpm_status_str", ctypes.c_char_p, ctypes.c_int)
_lib.declare("qpm_status_name", ctypes.c_char_p, ctypes.c_int)
_lib.declare("qpm_last_error", ctypes.c_char_p)
_lib.declare("qpm_last_status", ctypes.c_int)
_lib.declare("qpm_clear_error", None)
_lib.declare("qpm_cpu_features", ctypes.c_uint)
_lib.declare("qpm_max_threads", ctypes.c_uint)


class Status(enum.IntEnum):
    """``qpm_status`` codes (stable values)."""
    OK = 0
    E_NULL = 1
    E_INVALID = 2
    E_NONFINITE = 3
    E_SIZE = 4
    E_KEY = 5
    E_RANGE = 6
    E_UNSUPPORTED = 7
    E_STATE = 8
    E_NOMEM = 100
    E_THREAD = 101
    E_CANCELLED = 102
    E_NOCONVERGE = 200
    E_SINGULAR = 201
    E_NOTPSD = 202
    E_ARBITRAGE = 203
    E_INFEASIBLE = 204
    E_OVERFLOW = 205


class CpuFeature(enum.IntFlag):
    """Bits of :func:`cpu_features`."""
    AVX2 = 1
    FMA = 2
    AVX512F = 4
    AVX512DQ = 8
    AVX512VL = 16


register_enum(CpuFeature, "QPM_CPU_")


class SettingType(enum.IntEnum):
    """``qpm_setting_type`` (experimental): what a setting holds."""
    INTEGER = 0
    REAL = 1
    ENUM = 2
    BOOL = 3


class SettingInfo(NamedTuple):
    """One setting key of a handle, from ``qpm_<handle>_describe``
    (experimental C tier: the fields may change between minor releases).
    ``name`` is the C name (``"QPM_COV_LAMBDA"``); ``labels`` names the
    values lo..hi of an ENUM setting in C (``"QPM_COV_SAMPLE"``, ...), else
    ``()``."""
    name: str
    type: SettingType
    read_only: bool
    lo: float
    hi: float
    default: float
    labels: Tuple[str, ...]


class _CSettingInfo(ctypes.Structure):
    # qpm_setting_info in include/qpm/common.h
    _fields_ = [("size", ctypes.c_size_t), ("name", ctypes.c_char_p), ("type", ctypes.c_int),
                ("read_only", ctypes.c_int), ("lo", ctypes.c_double), ("hi", ctypes.c_double),
                ("def_", ctypes.c_double), ("labels", ctypes.POINTER(ctypes.c_char_p))]


def version_number() -> int:
    """Runtime library version as MAJOR*10000 + MINOR*100 + PATCH."""
    return int(_lib.fn("qpm_version_number")())


def version_string() -> str:
    """Runtime library version as "MAJOR.MINOR.PATCH"."""
    return str(_lib.fn("qpm_version_string")().decode("ascii"))


def version() -> Tuple[int, int, int]:
    """Runtime library version as a (major, minor, patch) tuple."""
    v = version_number()
    return v // 10000, (v // 100) % 100, v % 100


def status_str(status: int) -> str:
    """Short English description of a status code; "unknown status" if unknown."""
    return str(_lib.fn("qpm_status_str")(_arrays.int32(status, "status")).decode("utf-8", "replace"))


def status_name(status: int) -> str:
    """Symbolic name of a status code ("QPM_E_INVALID"); "QPM_E_UNKNOWN" if unknown."""
    return str(_lib.fn("qpm_status_name")(_arrays.int32(status, "status")).decode("ascii", "replace"))


def last_error() -> str:
    """Detailed message of the calling thread's last libqpm failure ("" if none).
    The exceptions raised by this package already carry it in ``.message``."""
    return str(_lib.fn("qpm_last_error")().decode("utf-8", "replace"))


def last_status() -> int:
    """Status code of the calling thread's last libqpm failure (0 if none)."""
    return int(_lib.fn("qpm_last_status")())


def clear_error() -> None:
    """Forgets the calling thread's last error."""
    _lib.fn("qpm_clear_error")()


def cpu_features() -> CpuFeature:
    """CPU features the library detected at run time (:class:`CpuFeature` bits)."""
    return CpuFeature(int(_lib.fn("qpm_cpu_features")()))


def max_threads() -> int:
    """Largest worker-thread count a handle accepts."""
    return int(_lib.fn("qpm_max_threads")())
