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
