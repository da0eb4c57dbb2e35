"""Python bindings of libqpm: option pricing, random streams and covariance
estimation for crypto portfolios, through ctypes (no compiled extension).

Modules: :mod:`qpm.pricing` (:class:`Pricer`), :mod:`qpm.rng` (:class:`Rng`,
:func:`norm_inv`), :mod:`qpm.cov` (:class:`Cov` and matrix functions),
:mod:`qpm.core` (version, status names, CPU features).

The shared library is found on first use (see :func:`load_library`).  Arrays
may be numpy arrays (float64 C-contiguous ones pass with no copy) or plain
sequences; results are numpy arrays when numpy is installed, lists
otherwise.  Failing calls raise :class:`QpmError` subclasses.
"""
from __future__ import annotations

from ._errors import (QpmArbitrageError, QpmCancelledError, QpmError, QpmInfeasibleError, QpmInvalidError, QpmKeyError,
                      QpmLibraryError, QpmMemoryError, QpmNoConvergeError,
                      QpmNonFiniteError, QpmNotPSDError, QpmNullError, QpmNumericalError,
                      QpmRangeError, QpmSingularError, QpmSizeError, QpmStateError,
                      QpmThreadError, QpmUnsupportedError, QpmUsageError)
from ._handle import Handle
from ._lib import EXPECTED_MAJOR, library_path, load_library
from . import cov
from .cov import (Cov, CovKey, CovMethod, CovTarget, NanPolicy, NearestCorrelation, ReturnsKind,
                  check_psd, is_psd, min_eigenvalue, nearest_correlation, returns_from_prices)
from . import pricing, rng
from . import book
from .book import Book, BookKey, Instrument, ScenarioGrid
from . import opt
from .opt import Frontier, InfoKey, Optimizer, OptKey, Problem
from . import risk
from .risk import Risk, RiskKey, RiskResult
from .pricing import CALL, GREEKS, PUT, Kernel, Model, Pricer, PricerKey, Settlement
from .rng import Rng, RngKind, kind_name, norm_inv, poisson_max
from .core import (CpuFeature, SettingInfo, SettingType, Status, clear_error, cpu_features,
                   last_error, last_status, max_threads, status_name, status_str, version,
                   version_number, version_string)

__version__ = "0.2.0"

__all__ = [
    "EXPECTED_MAJOR", "load_library", "library_path", "Handle",
    "Status", "CpuFeature", "SettingType", "SettingInfo", "version", "version_number", "version_string", "status_str",
    "status_name", "last_error", "last_status", "clear_error", "cpu_features", "max_threads",
    "QpmError", "QpmLibraryError", "QpmUsageError", "QpmNullError", "QpmInvalidError",
    "QpmNonFiniteError", "QpmSizeError", "QpmKeyError", "QpmRangeError", "QpmStateError",
    "QpmUnsupportedError", "QpmMemoryError", "QpmThreadError", "QpmNumericalError",
    "QpmNoConvergeError", "QpmSingularError", "QpmNotPSDError", "QpmArbitrageError",
    "QpmInfeasibleError", "QpmCancelledError",
    # cov
    "cov", "Cov", "CovKey", "CovMethod", "CovTarget", "NanPolicy", "ReturnsKind",
    "NearestCorrelation", "returns_from_prices", "nearest_correlation", "min_eigenvalue",
    "check_psd", "is_psd",
    # pricing
    "pricing", "Pricer", "Model", "Settlement", "PricerKey", "Kernel", "CALL", "PUT", "GREEKS",
    # book
    "book", "Book", "BookKey", "Instrument", "ScenarioGrid",
    # opt
    "opt", "Optimizer", "OptKey", "Problem", "InfoKey", "Frontier",
    # risk
    "risk", "Risk", "RiskKey", "RiskResult",
    # rng
    "rng", "Rng", "RngKind", "kind_name", "norm_inv", "poisson_max",
]
