"""The type hints are precise enough for a type checker: mypy --strict
accepts the package, and the types it infers for typical calls are the
documented ones (tests/typing/usage.py, checked with assert_type)."""
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
PKG = HERE.parent / "qpm"


def test_mypy_strict_accepts_the_package_and_infers_the_documented_types(tmp_path):
    try:
        import mypy  # noqa: F401
    except ImportError:
        pytest.skip("mypy is not installed (Debian: python3-mypy)")
    r = subprocess.run([sys.executable, "-m", "mypy", "--strict", "--ignore-missing-imports",
                        "--cache-dir", str(tmp_path / "cache"), "--no-error-summary",
                        str(PKG), str(HERE / "typing" / "usage.py")],
                       cwd=str(HERE.parent), capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr


def test_public_signatures_are_not_any_everywhere():
    """Array arguments are ArrayLike, array results NDArray[float64]: the
    annotations of the main entry points name those types, not Any."""
    import qpm
    for fn, arg in ((qpm.Pricer.price, "strike"), (qpm.Cov.fit, "returns"),
                    (qpm.Optimizer.set_covariance, "cov"), (qpm.Book.pnl, "spot_moves"),
                    (qpm.Risk.historical, "returns"), (qpm.risk.var_es, "losses")):
        import typing
        # an overloaded function keeps its precise types on the overloads
        variants = [fn] + list(getattr(typing, "get_overloads", lambda f: [])(fn))
        assert any("ArrayLike" in str(v.__annotations__.get(arg)) for v in variants), fn
    assert "FloatArray" in str(qpm.Cov.covariance.__annotations__["return"])
    assert "FloatArray" in str(qpm.Optimizer.min_variance.__annotations__["return"])
