"""Every public name of the package was called by the suite (runs last)."""
import enum
import inspect

import pytest

import importlib
import pkgutil

import qpm
from qpm import core, cov, pricing, rng  # noqa: F401  (later modules: qpm.<name> below)
import conftest

# the package and every public submodule (qpm.core, qpm.cov, qpm.book, ...)
MODULES = [qpm] + [importlib.import_module("qpm." + m.name)
                   for m in pkgutil.iter_modules(qpm.__path__) if not m.name.startswith("_")]


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


# every public header with functions: each C function needs its Python prototype
WRAPPED_HEADERS = sorted(p.name for p in (conftest.ROOT / "include" / "qpm").glob("*.h")
                         if p.name not in ("qpm.h", "version.h"))


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


def _public_objects():
    """(qualified name, object) for every public module-level name and every
    public method/property of the package's classes."""
    seen = {}
    for mod in MODULES:
        for name in getattr(mod, "__all__", None) or dir(mod):
            if name.startswith("_"):
                continue
            obj = getattr(mod, name)
            if inspect.ismodule(obj):
                continue
            if inspect.isfunction(obj) or inspect.isclass(obj):
                seen[obj.__module__ + "." + obj.__qualname__] = obj
                if inspect.isclass(obj) and not issubclass(obj, (enum.Enum, BaseException,
                                                                  tuple)):
                    for attr, val in vars(obj).items():
                        if attr.startswith("_") and attr != "__init__":
                            continue
                        if isinstance(val, property):
                            val = val.fget
                        elif isinstance(val, (classmethod, staticmethod)):
                            val = val.__func__
                        if inspect.isfunction(val):
                            seen[val.__module__ + "." + val.__qualname__] = val
    return seen


def test_every_public_name_has_docstring_and_type_hints():
    objs = _public_objects()
    assert len(objs) > 90
    # a constructor is documented by its class's docstring
    undocumented = sorted(n for n, o in objs.items() if not (o.__doc__ or "").strip()
                          and not n.endswith(".__init__"))
    assert not undocumented, "no docstring: %s" % ", ".join(undocumented)
    unhinted = []
    for n, o in objs.items():
        if not inspect.isfunction(o):
            continue
        sig = inspect.signature(o)
        params = [p for p in sig.parameters.values() if p.name not in ("self", "cls")
                  and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
        if any(p.annotation is inspect.Parameter.empty for p in params) or \
                sig.return_annotation is inspect.Signature.empty:
            unhinted.append(n)
    assert not unhinted, "missing type hints: %s" % ", ".join(sorted(unhinted))


# C enum (or #define family) -> (Python enum, prefix to strip, suffix to strip)
ENUMS = {
    "qpm_status": (qpm.Status, "QPM_", ""),
    "qpm_cpu_feature": (qpm.CpuFeature, "QPM_CPU_", ""),
    "qpm_rng_kind": (rng.RngKind, "QPM_RNG_", ""),
    "qpm_model": (pricing.Model, "QPM_MODEL_", ""),
    "qpm_settlement": (pricing.Settlement, "QPM_SETTLE_", ""),
    "qpm_pricer_key": (pricing.PricerKey, "QPM_PRICER_", ""),
    "qpm_cov_method": (cov.CovMethod, "QPM_COV_", ""),
    "qpm_cov_target": (cov.CovTarget, "QPM_COV_TARGET_", ""),
    "qpm_cov_nan_policy": (cov.NanPolicy, "QPM_COV_NAN_", ""),
    "qpm_cov_returns_kind": (cov.ReturnsKind, "QPM_COV_", "_RETURNS"),
    "qpm_cov_key": (cov.CovKey, "QPM_COV_", ""),
    # book
    "qpm_instrument": (qpm.book.Instrument, "QPM_INSTR_", ""),
    "qpm_book_key": (qpm.book.BookKey, "QPM_BOOK_", ""),
    # opt
    "qpm_opt_problem": (qpm.opt.Problem, "QPM_OPT_", ""),
    "qpm_opt_key": (qpm.opt.OptKey, "QPM_OPT_", ""),
    "qpm_opt_info_key": (qpm.opt.InfoKey, "QPM_OPT_INFO_", ""),
    # risk
    "qpm_risk_key": (qpm.risk.RiskKey, "QPM_RISK_", ""),
    "qpm_risk_filter": (qpm.risk.RiskFilter, "QPM_RISK_FILTER_", ""),
    "qpm_risk_revaluation": (qpm.risk.RiskRevaluation, "QPM_RISK_REVALUE_", ""),
    "qpm_risk_normals": (qpm.risk.RiskNormals, "QPM_RISK_NORMALS_", ""),
    # models (experimental)
    "qpm_calib_quote": (qpm.models.CalibQuote, "QPM_CALIB_QUOTE_", ""),
    "qpm_calib_residual": (qpm.models.CalibResidual, "QPM_CALIB_RESID_", ""),
    "qpm_calib_outcome": (qpm.models.CalibOutcome, "QPM_CALIB_", ""),
    # garch (experimental)
    "qpm_garch_dist": (qpm.garch.GarchDist, "QPM_GARCH_", ""),
    # amm (experimental)
    "qpm_amm_side": (qpm.amm.AmmSide, "QPM_AMM_", ""),
    # surface (experimental)
    "qpm_quote_kind": (qpm.surface.QuoteKind, "QPM_QUOTE_", ""),
}


def _c_enums():
    """enum name -> {constant: value} for every enum in the wrapped headers,
    plus the #define families QPM_PRICER_KERNEL_* and QPM_CALL/QPM_PUT."""
    import re
    out = {}
    defines = {}
    for h in WRAPPED_HEADERS:
        text = (conftest.ROOT / "include" / "qpm" / h).read_text()
        text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
        # qpm_status is generated from the X-macro list QPM_STATUS_MAP
        xs = re.findall(r"\bX\((QPM_\w+),\s*(-?\d+),", text)
        if xs:
            body = ", ".join("%s = %s" % x for x in xs)
            text = re.sub(r"enum\s+qpm_status\s*\{.*?\}", lambda _: "enum qpm_status {%s}" % body,
                          text, flags=re.S)
        for m in re.finditer(r"enum\s+(qpm_\w+)\s*\{(.*?)\}", text, flags=re.S):
            vals = {}
            for item in m.group(2).split(","):
                if "=" in item:
                    k, v = (x.strip() for x in item.split("=", 1))
                    vals[k] = eval(re.sub(r"(\d+)u\b", r"\1", v), {})  # "1u << 2"
            out[m.group(1)] = vals
        for m in re.finditer(r"#define\s+(QPM_\w+)\s+\(?(-?\d+)\)?\s*$", text, flags=re.M):
            defines[m.group(1)] = int(m.group(2))
    out["kernel"] = {k: v for k, v in defines.items() if k.startswith("QPM_PRICER_KERNEL_")}
    out["option_type"] = {k: v for k, v in defines.items() if k in ("QPM_CALL", "QPM_PUT")}
    return out


def test_python_enums_match_the_c_headers():
    c = _c_enums()
    table = dict(ENUMS)
    table["kernel"] = (pricing.Kernel, "QPM_PRICER_KERNEL_", "")
    for cname, (py, prefix, suffix) in table.items():
        assert cname in c, "enum %s not found in the headers" % cname
        want = {}
        for k, v in c[cname].items():
            name = k[len(prefix):] if k.startswith(prefix) else k
            if suffix and name.endswith(suffix):
                name = name[:-len(suffix)]
            want[name] = v
        got = {m.name: int(m.value) for m in py}
        assert got == want, "%s differs from C %s: %s vs %s" % (py.__name__, cname, got, want)
    assert c["option_type"] == {"QPM_CALL": pricing.CALL, "QPM_PUT": pricing.PUT}
