"""Checked by mypy (test_typing.py), never run: the types a user's type
checker infers from the package's hints."""
from typing import Dict, Tuple, Union

import numpy as np
import numpy.typing as npt
from typing_extensions import assert_type

import qpm
from qpm.opt import Problem
from qpm.risk import Parametric, RiskResult, VarEs

F64 = npt.NDArray[np.float64]
I32 = npt.NDArray[np.int32]

p = qpm.Pricer("black76", "inverse")
assert_type(p.price(97000.0, 100000.0, 0.1, 0.55, "call"), float)
assert_type(p.price(np.ones(3), 100000.0, 0.1, 0.55, ["call", "put", "call"]), F64)
assert_type(p.price([1.0, 2.0], 1.0, 1.0, 0.5), F64)
assert_type(p.greeks(97000.0, 100000.0, 0.1, 0.55), Dict[str, float])
assert_type(p.greeks(np.ones(3), 100000.0, 0.1, 0.55), Dict[str, F64])
assert_type(p.implied_vol(0.05, 97000.0, 100000.0, 0.1), float)
assert_type(p.implied_vol(0.05, 97000.0, 100000.0, 0.1, return_status=True), Tuple[float, int])
assert_type(p.implied_vol(np.ones(2), 97000.0, 100000.0, 0.1), F64)
assert_type(p.implied_vol(np.ones(2), 97000.0, 100000.0, 0.1, errors="nan",
                          return_status=True), Tuple[F64, I32])
assert_type(p.price_chain(97000.0, 0.1, np.ones(3), 0.55), F64)
assert_type(p.price_chain(97000.0, 0.1, 100000.0, 0.55), float)
assert_type(qpm.norm_inv(0.5), float)
assert_type(qpm.norm_inv([0.1, 0.5]), F64)
assert_type(qpm.Rng(1).normal(10), F64)

X = np.zeros((10, 3))
c = qpm.Cov(method="oas")
assert_type(c.fit(X), qpm.Cov)
assert_type(c.covariance(), F64)
assert_type(c.shrinkage(), float)
assert_type(c.n_assets, Union[int, None])
assert_type(qpm.nearest_correlation(X), F64)
assert_type(qpm.nearest_correlation(X, info=True), qpm.NearestCorrelation)

o = qpm.Optimizer(np.eye(3))
assert_type(o.min_variance(), F64)
assert_type(o.info(), Dict[str, Union[float, int, bool, Problem]])
assert_type(o.frontier(5), qpm.Frontier)

b = qpm.Book()
assert_type(b.add_underlying("BTC", 97000.0), int)
assert_type(b.pnl(np.zeros((4, 1))), F64)
r = qpm.Risk(np.eye(1))
assert_type(r.simulate(b), RiskResult)
assert_type(qpm.risk.var_es(np.ones(100), 0.99), VarEs)
assert_type(qpm.risk.parametric(0.0, 1.0), Parametric)

assert_type(qpm.lp_position(3000.0, 10.0), Dict[str, float])
assert_type(qpm.lp_position(np.ones(3), 10.0, 2500.0, 3600.0), Dict[str, F64])
assert_type(qpm.impermanent_loss(1.0, 2.0), float)
assert_type(qpm.impermanent_loss([1.0, 2.0], 2.0), F64)
assert_type(qpm.liquidity_from_amounts(3000.0, 2500.0, None, 1.0, 3000.0), qpm.LpLiquidity)
assert_type(qpm.swap_v2(10.0, 30000.0, 1.0, "sell_coin"), qpm.Swap)
assert_type(qpm.swap_v3([1.0, 2.0], [5.0], 1.5, 1.0, qpm.AmmSide.BUY_COIN, 0.0005), qpm.SwapV3)
assert_type(qpm.swap_v3(np.ones(2), np.ones(1), 1.0, 1.0, 0).ticks_crossed, int)
b.add_positions("amm_v3", "BTC", 10.0, price_lower=90000.0, price_upper=110000.0,
                fee_rate=0.2)
b.set_collateral(qpm.book.USD, 10000.0)
b.set_collateral("BTC", 1.0, 0.1)
assert_type(b.margin(), qpm.BookMargin)
assert_type(b.margin().equity, float)
assert_type(b.liquidation("BTC"), qpm.BookLiquidation)
assert_type(b.liquidations(), qpm.BookLiquidation)
assert_type(b.margin_option_im, float)

rm = qpm.RegimeModel(2, 2)
assert_type(rm.set_jumps([0.01, 0.04], np.zeros(2), [0.04, 0.06]), None)
assert_type(rm.jumps, qpm.RegimeJumps)
assert_type(rm.set_fit_jumps(True), None)
assert_type(rm.fit_jumps, bool)
assert_type(rm.fit(np.zeros((100, 2))), qpm.regime.RegimeFit)
