"""The Python examples run and print what they promise (plots only when
matplotlib is installed)."""
import importlib.util
import os
import subprocess
import sys

import pytest

from conftest import REFDATA, ROOT

EX = ROOT / "examples" / "python"
HAVE_MPL = importlib.util.find_spec("matplotlib") is not None


def _run(*args):
    env = dict(os.environ, PYTHONPATH=str(ROOT / "bindings" / "python"), MPLBACKEND="Agg")
    r = subprocess.run([sys.executable, *map(str, args)], env=env, capture_output=True,
                       text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    return r.stdout


def test_chain_implied_vol_example(tmp_path):
    png = tmp_path / "smile.png"
    out = _run(EX / "chain_implied_vol.py", *(["--plot", png] if HAVE_MPL else []))
    assert "quotes inverted" in out and "fitted smile" in out
    if HAVE_MPL:
        assert png.stat().st_size > 1000


def test_covariance_example(tmp_path):
    out = _run(EX / "covariance_from_csv.py", REFDATA / "returns_public_t500_n20.csv",
               "--method", "oas")
    assert "oas covariance of 20 assets over 500 periods" in out
    # the OAS shrinkage of the reference data (refdata cov_scalars: 0.010785...)
    assert "shrinkage intensity 0.0108" in out
    png = tmp_path / "corr.png"
    out = _run(EX / "covariance_from_csv.py", *(["--plot", png] if HAVE_MPL else []))
    assert "most correlated pairs" in out
    if HAVE_MPL:
        assert png.stat().st_size > 1000


def test_min_variance_portfolio_example():
    out = _run(EX / "min_variance_portfolio.py", REFDATA / "returns_public_t500_n20.csv",
               "--max-weight", "0.3")
    assert "Ledoit-Wolf covariance of 20 assets over 500 days" in out
    assert "long-only minimum-variance portfolio" in out and "30.00%" in out


def test_efficient_frontier_example(tmp_path):
    png = tmp_path / "frontier.png"
    out = _run(EX / "efficient_frontier.py", REFDATA / "optim_cov_public_n20.csv",
               REFDATA / "optim_weights_public_n20.csv", "--points", "20",
               *(["--plot", png] if HAVE_MPL else []))
    assert "efficient frontier, 20 points" in out
    # the reference minimum-variance portfolio (refdata: vol 0.30993...)
    assert "minimum variance: return 38.14%, vol 30.99%" in out
    assert "maximum Sharpe" in out
    if HAVE_MPL:
        assert png.stat().st_size > 1000
    out = _run(EX / "efficient_frontier.py", "--long-short", "--points", "5")
    assert "gross <= 1.5" in out


def test_book_risk_matrix_example(tmp_path):
    png = tmp_path / "grid.png"
    out = _run(EX / "book_risk_matrix.py", *(["--plot", png] if HAVE_MPL else []))
    assert "Greeks by underlying" in out and "Risk matrix of the options by expiry" in out
    assert "worst loss" in out
    if HAVE_MPL:
        assert png.stat().st_size > 1000
    # the reference book: BTC worst loss 803534.41 USD (book_worst_public.csv)
    out = _run(EX / "book_risk_matrix.py", "--market", REFDATA / "book_market_public.csv",
               "--positions", REFDATA / "book_positions_public.csv", "--underlying", "BTC")
    assert "worst loss 803534 USD at spot +16%, vol -30%" in out


def test_book_var_example(tmp_path):
    png = tmp_path / "pnl.png"
    out = _run(EX / "book_var.py", "--scenarios", "5000", "--threads", "2",
               *(["--plot", png] if HAVE_MPL else []))
    assert "5000 scenarios" in out and "99%" in out and "ES (USD)" in out
    if HAVE_MPL:
        assert png.stat().st_size > 1000
