"""Lets the examples run from a source checkout without installing the
package: puts bindings/python on sys.path when qpm is not importable."""
import sys
from pathlib import Path

try:
    import qpm  # noqa: F401
except ImportError:
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bindings" / "python"))
