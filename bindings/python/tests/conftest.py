"""Shared fixtures: reference data, the sanitizer flag, a collection guard."""
from __future__ import annotations

import csv
import os
import sys
from pathlib import Path
from typing import Dict, List

import pytest

import qpm

ROOT = Path(__file__).resolve().parents[3]


def refdata_dir() -> Path:
    """Where the upstream reference data is read from: the user's
    QPM_REFDATA when set and non-empty, else QPM_REFDATA_DEFAULT (set by
    meson to the checkout's tests/data/refdata), else that folder found from
    this file."""
    for var in ("QPM_REFDATA", "QPM_REFDATA_DEFAULT"):
        v = os.environ.get(var)
        if v:
            return Path(v)
    return ROOT / "tests" / "data" / "refdata"


REFDATA = refdata_dir()

#: True under an ASan build: heavy loops are trimmed (the checks stay).
SANITIZE = os.environ.get("QPM_TEST_SANITIZE") == "1"

# The suite must not pass by collecting nothing or almost nothing (for
# example after an import error hidden by a skip).
MIN_TESTS = 20


# ---- which package functions the suite calls --------------------------------
# A profile hook records the qualified name of every function of the qpm
# package that runs in this process; test_zz_api_coverage.py then checks
# that every public name was called at least once.
PKG_DIR = str(Path(qpm.__file__).resolve().parent)
CALLED = set()
WHOLE_SUITE = [False]


def _profile(frame, event, arg):
    if event == "call":
        co = frame.f_code
        if co.co_filename.startswith(PKG_DIR):
            CALLED.add(co.co_qualname)


def pytest_sessionfinish(session, exitstatus):
    sys.setprofile(None)


def pytest_collection_modifyitems(session, config, items):
    # the coverage check runs last
    items.sort(key=lambda it: it.nodeid.split("::")[0].endswith("test_zz_api_coverage.py"))


def pytest_collection_finish(session):
    here = Path(__file__).resolve().parent
    whole = all(Path(a).resolve() == here for a in session.config.args)
    WHOLE_SUITE[0] = whole and not session.config.getoption("keyword") \
        and not session.config.getoption("markexpr")
    sys.setprofile(_profile)
    if whole and len(session.items) < MIN_TESTS and not session.config.getoption("keyword") \
            and not session.config.getoption("markexpr"):
        raise pytest.UsageError("only %d tests collected, expected at least %d"
                                % (len(session.items), MIN_TESTS))


def pytest_sessionstart(session):
    # Under meson the library under test is given by QPM_LIBRARY: make sure
    # that is the copy the package loads.
    path = qpm.load_library()
    want = os.environ.get("QPM_LIBRARY")
    if want:
        assert os.path.realpath(path) == os.path.realpath(want)


class Csv:
    """A reference CSV: header and rows of strings; ``col(name)`` gives floats
    (Python's float() rounds correctly, as the refdata README requires)."""

    def __init__(self, path: Path) -> None:
        with open(path, newline="") as f:
            r = csv.reader(f)
            self.header: List[str] = next(r)
            self.rows: List[List[str]] = [row for row in r if row]
        self.index: Dict[str, int] = {h: i for i, h in enumerate(self.header)}

    def __len__(self) -> int:
        return len(self.rows)

    def str(self, name: str) -> List[str]:
        i = self.index[name]
        return [row[i] for row in self.rows]

    def col(self, name: str):
        import numpy as np
        i = self.index[name]
        return np.array([float(row[i]) if row[i] not in ("", "nan") else np.nan
                         for row in self.rows])


def load_csv(name: str) -> Csv:
    path = REFDATA / name
    if not path.is_file():
        pytest.fail("reference file %s is missing (QPM_REFDATA overrides the folder)" % path)
    return Csv(path)


@pytest.fixture
def refcsv():
    return load_csv
