"""The Python examples run from a clone with no arguments, with and without
pandas importable, and draw their plot with --plot when matplotlib is
installed; given the reference files they reproduce the reference figures;
the example data sets regenerate to the same bytes."""
import importlib.util
import os
import subprocess
import sys
import textwrap

import pytest

from conftest import REFDATA, ROOT, SANITIZE

EX = ROOT / "examples" / "python"
DATA = ROOT / "examples" / "data"
HAVE_MPL = importlib.util.find_spec("matplotlib") is not None
HAVE_PANDAS = importlib.util.find_spec("pandas") is not None
EXAMPLES = sorted(p.stem for p in EX.glob("*.py") if not p.name.startswith("_"))

#: what each example prints when run with no arguments
PROMISES = {
    "account": ["BTC/ETH account, 13 positions", "Greeks by underlying",
                "funding carry per day", "basis per expiry", "compounded a year",
                "standard margin (USD)", "portfolio margin (USD",
                "liquidation prices", "ETH  spot    3300.00   down 1549.59 (-53.0%)",
                "margin ratio (maintenance / equity) over the risk matrix", "LIQ"],
    "amm_lp": ["v3 LP position BTC/USDC over [85000, 110000) at price 95000",
               "mints liquidity L = 4360.81", "impermanent loss", "in a book",
               "swap quotes", "a 50 BTC sale is refused"],
    "book_risk_matrix": ["Greeks by underlying", "Risk matrix of the options by expiry",
                         "worst loss"],
    "book_var": ["scenarios", "99%", "ES (USD)"],
    "vol_surface": ["BTC surface from 271 out-of-the-money options on 6 expiries",
                    "raw SVI per expiry", "static arbitrage: butterfly none, calendar none",
                    "Heston calibrated to the 271 mark vols", "off the surface"],
    "multi_day_var": ["multi-day VaR of the BTC/ETH account, 13 positions, Heston paths",
                      "sqrt-time VaR", "20 days", "square-root-of-time scaling",
                      "worst-day VaR"],
    "stress_report": ["stress report of the BTC/ETH account, 13 positions on deribit",
                      "cascade -40%", "uniswap fails", "BTC oracle -30%", "USDC depeg 10%",
                      "Euler contributions", "with venue defaults", "regimes (EM on 730 days",
                      "by starting regime", "revalued every day with time decay",
                      "limits (scale",
                      "clears them all"],
    "chain_implied_vol": ["548 options on 6 expiries", "quotes inverted", "missing bids",
                          "fitted smile", "BTC-27DEC24-100000-C"],
    "covariance_from_csv": ["ledoit_wolf covariance of 8 assets over 730 periods",
                            "2023-01-02 to 2024-12-31", "most correlated pairs"],
    "efficient_frontier": ["efficient frontier, 50 points (long-only)", "minimum variance",
                           "maximum Sharpe", "largest weights: BTC"],
    "min_variance_portfolio": ["Ledoit-Wolf covariance of 8 assets over 730 days",
                               "long-only minimum-variance portfolio", "BTC"],
}


def _run(*args, pandas=True, cwd=None):
    """Runs an example as a user of a clone would: no PYTHONPATH (the
    example finds bindings/python itself), from a directory outside the
    examples; without pandas the import of pandas fails."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["MPLBACKEND"] = "Agg"
    script, rest = str(args[0]), [str(a) for a in args[1:]]
    if pandas:
        cmd = [sys.executable, script] + rest
    else:
        code = textwrap.dedent("""
            import runpy, sys
            sys.modules["pandas"] = None      # import pandas -> ImportError
            sys.argv = [%r] + %r
            sys.path.insert(0, %r)
            runpy.run_path(%r, run_name="__main__")
            """) % (script, rest, os.path.dirname(script), script)
        cmd = [sys.executable, "-c", code]
    r = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600,
                       cwd=str(cwd or ROOT.parent))
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    return r.stdout


def test_every_example_is_covered():
    assert set(EXAMPLES) == set(PROMISES)


@pytest.mark.parametrize("name", EXAMPLES)
@pytest.mark.parametrize("pandas", [True, False], ids=["pandas", "no-pandas"])
def test_example_runs_with_no_arguments(name, pandas, tmp_path):
    if pandas and not HAVE_PANDAS:
        pytest.skip("pandas is not installed")
    if SANITIZE and not pandas and HAVE_PANDAS:
        pytest.skip("the sanitizer run takes one pass per example (the library calls are "
                    "the same without pandas; the normal run covers that path)")
    out = _run(EX / (name + ".py"), pandas=pandas, cwd=tmp_path)
    for promise in PROMISES[name]:
        assert promise in out, (promise, out[-2000:])


@pytest.mark.skipif(not HAVE_MPL, reason="matplotlib is not installed")
@pytest.mark.skipif(SANITIZE, reason="plots are drawn by the normal run")
@pytest.mark.parametrize("name", EXAMPLES)
def test_example_plot(name, tmp_path):
    png = tmp_path / (name + ".png")
    _run(EX / (name + ".py"), "--plot", png, cwd=tmp_path)
    assert png.stat().st_size > 1000


def test_covariance_example_reference_returns():
    out = _run(EX / "covariance_from_csv.py", REFDATA / "returns_public_t500_n20.csv",
               "--method", "oas")
    assert "oas covariance of 20 assets over 500 periods" in out
    # the OAS shrinkage of the reference data (refdata cov_scalars: 0.010785...)
    assert "shrinkage intensity 0.0108" in out
    out = _run(EX / "covariance_from_csv.py", "--simulate", "--method", "sample")
    assert "sample covariance of 12 assets over 500 periods" in out


def test_min_variance_example_reference_returns():
    out = _run(EX / "min_variance_portfolio.py", REFDATA / "returns_public_t500_n20.csv",
               "--max-weight", "0.3")
    assert "Ledoit-Wolf covariance of 20 assets over 500 days" in out
    assert "long-only minimum-variance portfolio" in out and "30.00%" in out
    prices = _run(EX / "min_variance_portfolio.py", DATA / "crypto_prices.csv", "--prices")
    assert prices == _run(EX / "min_variance_portfolio.py")


def test_efficient_frontier_example_reference_problem():
    out = _run(EX / "efficient_frontier.py", REFDATA / "optim_cov_public_n20.csv",
               REFDATA / "optim_weights_public_n20.csv", "--points", "20")
    assert "efficient frontier, 20 points" in out
    # the reference minimum-variance portfolio (refdata: vol 0.30993...)
    assert "minimum variance: return 38.14%, vol 30.99%" in out
    assert "maximum Sharpe" in out
    out = _run(EX / "efficient_frontier.py", "--long-short", "--points", "5")
    assert "gross <= 1.5" in out


def test_book_risk_matrix_example_reference_book():
    # the reference book: BTC worst loss 803534.41 USD (book_worst_public.csv)
    for pandas in (True, False):
        out = _run(EX / "book_risk_matrix.py", "--market", REFDATA / "book_market_public.csv",
                   "--positions", REFDATA / "book_positions_public.csv", "--underlying", "BTC",
                   pandas=pandas and HAVE_PANDAS)
        assert "worst loss 803534 USD at spot +16%, vol -30%" in out


def test_book_var_example_options():
    out = _run(EX / "book_var.py", "--scenarios", "5000", "--threads", "2")
    assert "5000 scenarios" in out and "99%" in out and "ES (USD)" in out


def test_chain_example_parses_names_and_matches_the_exchange_vols():
    out = _run(EX / "chain_implied_vol.py", "--expiry", "31JAN25")
    assert "31JAN25 (fitted smile, OTM quotes)" in out
    assert "BTC-31JAN25-100000-C" in out
    line = [ln for ln in out.splitlines() if "match the exchange's mark_iv" in ln][0]
    assert float(line.split(" to ")[1].split()[0]) <= 0.006  # mark_iv has 2 decimals
    sys.path.insert(0, str(EX))
    try:
        import chain_implied_vol as ex
    finally:
        sys.path.remove(str(EX))
    import datetime as dt
    assert ex.parse_instrument("BTC-27DEC24-100000-C") == ("BTC", dt.date(2024, 12, 27),
                                                            100000.0, 1)
    assert ex.parse_instrument("ETH-6DEC24-3500-P") == ("ETH", dt.date(2024, 12, 6), 3500.0, -1)
    with pytest.raises(ValueError):
        ex.parse_instrument("BTC-PERPETUAL")


def test_example_data_regenerate_to_the_same_bytes(tmp_path):
    _run(DATA / "make_data.py", "--out", tmp_path)
    for name in ("crypto_prices.csv", "btc_option_chain.csv"):
        assert (tmp_path / name).read_bytes() == (DATA / name).read_bytes(), name


@pytest.mark.skipif(not HAVE_PANDAS, reason="pandas is not installed")
def test_price_file_is_what_pandas_writes():
    import pandas as pd
    text = (DATA / "crypto_prices.csv").read_text()
    df = pd.read_csv(DATA / "crypto_prices.csv", index_col="date")
    assert df.index.name == "date" and len(df.columns) == 8
    assert df.to_csv() == text
