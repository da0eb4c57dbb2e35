"""Python bindings of libqpm, quantitative portfolio management for crypto
derivatives, through ctypes (no compiled extension of its own).

Modules:

* :mod:`qpm.pricing`: :class:`Pricer` (Black-Scholes-Merton, Black-76,
  Bachelier; USD or coin-settled; price, 11 Greeks, implied vol);
* :mod:`qpm.book`: :class:`Book` (spot, futures, perpetuals and options on
  several underlyings; Greeks by position, underlying and expiry; scenario
  P&L and portfolio-margin grids; experimental: funding, collateral, the
  standard margin model and liquidation distances);
* :mod:`qpm.cov`: :class:`Cov` (sample, EWMA, Ledoit-Wolf, OAS,
  semicovariance, scikit-learn style) and matrix functions (returns from
  prices, nearest correlation, PSD checks);
* :mod:`qpm.opt`: :class:`Optimizer` (minimum variance, mean-variance,
  target return/risk, maximum Sharpe, ERC, minimum CVaR, efficient
  frontier, under box, budget, leverage, turnover, group and linear
  constraints);
* :mod:`qpm.risk`: :class:`Risk` (Monte Carlo and historical VaR/ES of a
  book) and closed-form VaR/ES functions;
* :mod:`qpm.rng`: :class:`Rng` (PCG streams) and :func:`norm_inv`;
* :mod:`qpm.amm` (experimental): liquidity positions in coin/USD AMM pools
  (:func:`lp_position`, :func:`liquidity_from_amounts`,
  :func:`impermanent_loss`) and swaps against v2 and v3 pools
  (:func:`swap_v2`, :func:`swap_v3`);
* :mod:`qpm.carry` (experimental): funding rates of perpetual swaps
  (:func:`funding_rate`), the carry of receiving them
  (:func:`funding_carry`) and the basis of futures (:func:`basis`);
* :mod:`qpm.models` (experimental): Heston, Bates and Merton jump-diffusion
  European prices, Greeks and smiles (:func:`heston_price`,
  :func:`bates_price`, :func:`merton_price`, :func:`heston_smile`,
  :func:`merton_smile`);
* :mod:`qpm.regime` (experimental): a Markov regime-switching model of
  returns (:class:`RegimeModel`: EM fit, filtered and smoothed state
  probabilities, Monte Carlo paths, regime-dependent jumps);
* :mod:`qpm.garch` (experimental): GARCH(1,1) volatility
  (:func:`garch_fit`, :func:`garch_loglik`, :func:`garch_filter`,
  :func:`garch_forecast`), also the filter of :meth:`Risk.historical`;
* :mod:`qpm.surface` (experimental): implied-volatility smiles and surfaces
  (:class:`Surface`: raw SVI and SSVI fits to option chains, butterfly and
  calendar checks, vol queries);
* :mod:`qpm.core`: version, status names, CPU features.

The shared library is found on first use (see :func:`load_library`): a
wheel carries it inside the package.  Arrays may be numpy arrays (float64
C-contiguous ones pass with no copy), pandas objects (results then carry
their labels) or plain sequences; results are numpy arrays when numpy is
installed, lists otherwise.  Failing calls raise :class:`QpmError`
subclasses whose messages use this package's argument and setting names.
Handles serialise the calls of threads that share them and cannot be
copied or pickled.
"""
from __future__ import annotations

from ._errors import (QpmArbitrageError, QpmCancelledError, QpmError, QpmInfeasibleError, QpmInvalidError, QpmKeyError,
                      QpmLibraryError, QpmMemoryError, QpmNoConvergeError,
                      QpmNonFiniteError, QpmNotPSDError, QpmNullError, QpmNumericalError,
                      QpmRangeError, QpmSingularError, QpmSizeError, QpmStateError,
                      QpmThreadError, QpmUnsupportedError, QpmUsageError)
from ._handle import Handle, HandleBusyError
from ._lib import EXPECTED_MAJOR, library_path, load_library
from . import cov
from .cov import (Cov, CovKey, CovMethod, CovTarget, NanPolicy, NearestCorrelation, ReturnsKind,
                  check_psd, is_psd, min_eigenvalue, nearest_correlation, returns_from_prices)
from . import pricing, rng
from . import book
from .book import (Book, BookFunding, BookKey, BookLeverage, BookLiquidation, BookMargin,
                   Instrument, ScenarioGrid)
from . import opt
from .opt import Frontier, InfoKey, Optimizer, OptKey, Problem
from . import risk
from .risk import (Contributions, PathResult, Risk, RiskFilter, RiskKey, RiskNormals,
                   RiskResult, RiskRevaluation)
from .pricing import CALL, GREEKS, PUT, Kernel, Model, Pricer, PricerKey, Settlement
from .rng import Rng, RngKind, kind_name, norm_inv, poisson_max
from . import amm
from .amm import (AmmSide, LpLiquidity, Swap, SwapV3, impermanent_loss, liquidity_from_amounts,
                  lp_position, swap_v2, swap_v3)
from . import carry
from .carry import FundingCarry, basis, funding_carry, funding_rate
from . import models
from .models import (Heston, Jumps, bates_price, heston_price, heston_smile, merton_price,
                     merton_smile)
from . import garch
from .garch import (GarchDist, GarchFilter, GarchFit, GarchForecast, GarchParams, garch_filter,
                    garch_fit, garch_forecast, garch_loglik)
from . import stress
from .stress import Shock, StressReport
from . import surface
from .surface import (QuoteKind, SliceReport, SsviFit, SsviParams, Surface, SurfaceCheck, SviParams,
                      ssvi_to_svi, svi_check, svi_total_variance)
from . import regime
from .regime import (RegimeFit, RegimeInit, RegimeJumps, RegimeModel, RegimeParams, RegimePaths,
                     RegimeProbabilities)
from .core import (CpuFeature, SettingInfo, SettingType, Status, clear_error, cpu_features,
                   last_error, last_status, max_threads, status_name, status_str, version,
                   version_number, version_string)

__version__ = "0.2.0"

__all__ = [
    "EXPECTED_MAJOR", "load_library", "library_path", "Handle", "HandleBusyError",
    "Status", "CpuFeature", "SettingType", "SettingInfo", "version", "version_number",
    "version_string", "status_str",
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
    "book", "Book", "BookKey", "BookFunding", "BookMargin", "BookLiquidation", "BookLeverage",
    "Instrument",
    "ScenarioGrid",
    # opt
    "opt", "Optimizer", "OptKey", "Problem", "InfoKey", "Frontier",
    # risk
    "risk", "Risk", "RiskKey", "RiskFilter", "PathResult", "RiskNormals", "RiskRevaluation", "RiskResult", "Contributions",
    # rng
    "rng", "Rng", "RngKind", "kind_name", "norm_inv", "poisson_max",
    # amm (experimental)
    "amm", "AmmSide", "LpLiquidity", "Swap", "SwapV3", "lp_position", "liquidity_from_amounts",
    "impermanent_loss", "swap_v2", "swap_v3",
    # carry (experimental)
    "carry", "FundingCarry", "funding_rate", "funding_carry", "basis",
    # models (experimental)
    "models", "Heston", "Jumps", "heston_price", "bates_price", "merton_price", "heston_smile",
    "merton_smile",
    # garch (experimental)
    "garch", "GarchDist", "GarchParams", "GarchFit", "GarchFilter", "GarchForecast",
    "garch_loglik", "garch_fit", "garch_filter", "garch_forecast",
    # stress (experimental)
    "stress", "Shock", "StressReport",
    # surface (experimental)
    "surface", "Surface", "QuoteKind", "SviParams", "SsviParams", "SliceReport", "SurfaceCheck",
    "SsviFit", "svi_check", "svi_total_variance", "ssvi_to_svi",
    # regime (experimental)
    "regime", "RegimeModel", "RegimeInit", "RegimeParams", "RegimeJumps", "RegimeFit",
    "RegimeProbabilities", "RegimePaths",
]
