"""Core functions: version, status names, last error, CPU queries."""
import re

import qpm
from qpm.core import Status
from conftest import ROOT


def _header_version():
    text = (ROOT / "include" / "qpm" / "version.h").read_text()
    get = lambda k: int(re.search(r"#define QPM_VERSION_%s (\d+)" % k, text).group(1))
    return get("MAJOR"), get("MINOR"), get("PATCH")


def test_version_matches_header_and_expected_major():
    v = qpm.version()
    assert v == _header_version()
    assert v[0] == qpm.EXPECTED_MAJOR
    assert qpm.version_number() == v[0] * 10000 + v[1] * 100 + v[2]
    assert qpm.version_string() == "%d.%d.%d" % v


def test_status_names_and_texts():
    names = set()
    for s in Status:
        name = qpm.status_name(s)
        assert name == ("QPM_OK" if s == 0 else "QPM_" + s.name)
        assert qpm.status_str(s) not in ("", "unknown status")
        names.add(name)
    assert len(names) == len(Status)
    assert qpm.status_str(12345) == "unknown status"
    assert qpm.status_name(-7) == "QPM_E_UNKNOWN"


def test_clear_error_resets_last_error():
    qpm.clear_error()
    assert qpm.last_error() == ""
    assert qpm.last_status() == 0


def test_cpu_features_and_threads():
    f = qpm.cpu_features()
    assert isinstance(f, qpm.CpuFeature)
    assert int(f) & ~int(sum(qpm.CpuFeature)) == 0  # only known bits
    assert set(qpm.CpuFeature.__members__) == {"AVX2", "FMA", "AVX512F", "AVX512DQ", "AVX512VL"}
    assert qpm.max_threads() >= 1
