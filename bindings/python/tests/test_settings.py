"""Handle.describe: every setting of every handle, from the library's own
tables (qpm_<handle>_describe, the experimental C tier)."""
import math

import pytest

import qpm
from qpm import Book, Cov, Optimizer, Pricer, Risk, SettingInfo, SettingType

HANDLES = [(Pricer, qpm.PricerKey), (Book, qpm.BookKey), (Cov, qpm.CovKey),
           (Optimizer, qpm.OptKey), (Risk, qpm.RiskKey)]


@pytest.mark.parametrize("cls,keys", HANDLES, ids=lambda x: getattr(x, "__name__", ""))
def test_every_key_is_described_as_bounds_reports_it(cls, keys):
    for key in keys:
        info = cls.describe(key)
        assert isinstance(info, SettingInfo)
        prefix = cls._prefix.upper() + "_"
        assert info.name == prefix + key.name
        assert (info.lo, info.hi) == cls.bounds(key)
        assert isinstance(info.type, SettingType)
        if info.read_only:
            assert info.lo == info.hi == info.default
        else:
            assert info.lo <= info.default <= info.hi
        if info.type == SettingType.ENUM:
            assert len(info.labels) == int(info.hi - info.lo) + 1
            assert all(lab.startswith("QPM_") for lab in info.labels)
        else:
            assert info.labels == ()
        if info.type in (SettingType.INTEGER, SettingType.ENUM, SettingType.BOOL):
            assert info.default == math.floor(info.default)


def test_defaults_are_what_a_new_handle_reads():
    with Cov(3) as c:
        for key in qpm.CovKey:
            if key == qpm.CovKey.KERNEL:  # "auto" reads back as the kernel it chose
                assert Cov.describe(key).default == 0 and c.get(key) in (1, 2)
                continue
            assert c.get(key) == Cov.describe(key).default, key
    with Risk() as r:
        for key in qpm.RiskKey:
            assert r.get(key) == Risk.describe(key).default, key
    with Optimizer(n=2) as o:
        for key in qpm.OptKey:
            assert o.get(key) == Optimizer.describe(key).default, key


def test_known_descriptions():
    lam = Cov.describe("lambda")
    assert lam.name == "QPM_COV_LAMBDA" and lam.type == SettingType.REAL
    assert lam.default == 0.94 and 0.0 < lam.lo and lam.hi < 1.0
    method = Cov.describe(qpm.CovKey.METHOD)
    assert method.type == SettingType.ENUM
    assert method.labels == tuple("QPM_COV_" + m.name for m in qpm.CovMethod)
    assert Cov.describe(qpm.CovKey.ANNUALISE).type == SettingType.BOOL
    chunk = Pricer.describe(qpm.PricerKey.CHUNK)
    assert chunk.read_only and chunk.lo == 1024
    assert Pricer.describe("kernel").labels[0] == "QPM_PRICER_KERNEL_AUTO"
    assert Risk.describe(qpm.RiskKey.SEED).type == SettingType.INTEGER


def test_unknown_key_raises():
    with pytest.raises(qpm.QpmKeyError) as ei:
        Cov.describe(99)
    assert ei.value.c_message == "key = 99: not a qpm_cov_key"
    assert "99" in ei.value.message and "QPM_" not in ei.value.message


def test_setting_type_matches_the_c_header():
    import re
    from conftest import ROOT
    text = (ROOT / "include" / "qpm" / "common.h").read_text()
    body = re.search(r"enum qpm_setting_type \{(.*?)\}", text, flags=re.S).group(1)
    body = re.sub(r"/\*.*?\*/", " ", body, flags=re.S)
    c = {k.strip()[len("QPM_SETTING_"):]: int(v) for k, v in
         (item.split("=") for item in body.split(",") if "=" in item)}
    assert c == {m.name: int(m.value) for m in SettingType}
