"""Every public name of the package was called by the suite (runs last)."""
import enum
import inspect

import pytest

import qpm
from qpm import core, cov, pricing, rng
import conftest

MODULES = [qpm, core, cov, pricing, rng]


def public_callables():
    """Qualified names of every public function, constructor, method and
    property of the package."""
    names = set()
    for mod in MODULES:
        for name in getattr(mod, "__all__", None) or dir(mod):
            if name.startswith("_"):
                continue
            obj = getattr(mod, name)
            if inspect.ismodule(obj) or not getattr(obj, "__module__", "").startswith("qpm"):
                continue
            if inspect.isfunction(obj):
                names.add(obj.__qualname__)
            elif inspect.isclass(obj):
                if issubclass(obj, (enum.Enum, BaseException, tuple)):
                    continue  # data: enums, exceptions (test_errors), named tuples
                for attr, val in vars(obj).items():
                    if attr.startswith("_") and attr not in ("__init__", "__enter__",
                                                             "__exit__"):
                        continue
                    if isinstance(val, property):
                        names.add(val.fget.__qualname__)
                    elif isinstance(val, (classmethod, staticmethod)):
                        names.add(val.__func__.__qualname__)
                    elif inspect.isfunction(val):
                        names.add(val.__qualname__)
    return names


def test_every_public_name_is_called():
    if not conftest.WHOLE_SUITE[0]:
        pytest.skip("only meaningful when the whole suite runs")
    expected = public_callables()
    assert len(expected) > 60
    missing = sorted(expected - conftest.CALLED)
    assert not missing, "public names never called by the tests: %s" % ", ".join(missing)


WRAPPED_HEADERS = ["common.h", "rng.h", "pricing.h", "cov.h"]


def _c_functions():
    """name -> number of parameters of every QPM_API function declared in
    the headers this package wraps."""
    import re
    out = {}
    for h in WRAPPED_HEADERS:
        text = (conftest.ROOT / "include" / "qpm" / h).read_text()
        text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
        for m in re.finditer(r"QPM_API[^;{(]*?\b(qpm_\w+)\s*\(([^)]*)\)\s*;", text):
            params = m.group(2).strip()
            n = 0 if params in ("", "void") else params.count(",") + 1
            out[m.group(1)] = n
    return out


def test_every_c_function_is_wrapped_with_its_arity():
    from qpm import _lib
    cfuncs = _c_functions()
    assert len(cfuncs) > 50
    missing = sorted(set(cfuncs) - set(_lib._PROTOTYPES))
    assert not missing, "C functions without a Python prototype: %s" % ", ".join(missing)
    extra = sorted(set(_lib._PROTOTYPES) - set(cfuncs))
    assert not extra, "prototypes of functions not in the headers: %s" % ", ".join(extra)
    wrong = sorted(n for n, k in cfuncs.items() if len(_lib._PROTOTYPES[n][1]) != k)
    assert not wrong, "argument count differs from the header: %s" % ", ".join(wrong)
    assert _lib.missing_symbols() == []
