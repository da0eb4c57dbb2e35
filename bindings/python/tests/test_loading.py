"""Locating libqpm and refusing a library of another major version."""
import os
import shutil
import subprocess
import sys
import textwrap

import pytest

import qpm
from qpm import _lib
from conftest import ROOT


def _run(code, env_update, drop=("QPM_LIBRARY",)):
    env = dict(os.environ)
    for k in drop:
        env.pop(k, None)
    env.update(env_update)
    env["PYTHONPATH"] = str(ROOT / "bindings" / "python")
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], env=env,
                          capture_output=True, text=True, timeout=120)


def test_check_version_accepts_expected_major_only():
    _lib.check_version(qpm.EXPECTED_MAJOR * 10000 + 123)
    with pytest.raises(qpm.QpmLibraryError, match="major version 1"):
        _lib.check_version(10203)
    assert issubclass(qpm.QpmLibraryError, ImportError)


def test_loaded_path_and_reload():
    path = qpm.load_library()
    assert path == qpm.library_path()
    assert qpm.load_library(path) == path  # same library: fine
    with pytest.raises(qpm.QpmLibraryError, match="already loaded"):
        qpm.load_library("/nonexistent/libqpm.so")
    assert _lib.missing_symbols() == []


def test_explicit_path_wins():
    lib = qpm.library_path()
    r = _run("""
        import qpm
        p = qpm.load_library(%r)
        print(p, qpm.version_string())
        """ % lib, {"QPM_LIBRARY": "/nonexistent/libqpm.so"}, drop=())
    assert r.returncode == 0, r.stderr
    assert r.stdout.split()[0] == lib


def test_env_variable_is_used_and_not_silently_replaced():
    r = _run("""
        import qpm
        try:
            qpm.version()
        except qpm.QpmLibraryError as e:
            print("refused", e)
        """, {"QPM_LIBRARY": "/nonexistent/libqpm.so"}, drop=())
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("refused") and "/nonexistent/libqpm.so" in r.stdout


def test_build_tree_is_a_candidate():
    lib = os.path.realpath(qpm.library_path())
    old = os.environ.pop("QPM_LIBRARY", None)
    try:
        cands = _lib.candidate_paths()
    finally:
        if old is not None:
            os.environ["QPM_LIBRARY"] = old
    assert ("libqpm.so.%d" % qpm.EXPECTED_MAJOR) in cands  # the system loader
    build_dir = os.path.dirname(lib)
    if os.path.dirname(build_dir) == str(ROOT.resolve()) and \
            os.path.basename(build_dir).startswith("build"):
        # a meson build dir of this checkout
        assert lib in [os.path.realpath(c) for c in cands if os.path.isabs(c)]


def test_default_search_loads_a_library():
    r = _run("import qpm; print(qpm.version_string(), qpm.library_path())", {})
    if r.returncode != 0 and "not found" in r.stderr:
        pytest.skip("no build tree or installed libqpm to find")
    assert r.returncode == 0, r.stderr


@pytest.mark.skipif(shutil.which("cc") is None, reason="needs a C compiler")
def test_refuses_library_of_other_major(tmp_path):
    src = tmp_path / "fake.c"
    src.write_text("unsigned qpm_version_number(void) { return 10203u; }\n")
    so = tmp_path / "libfakeqpm.so"
    env = {k: v for k, v in os.environ.items() if k not in ("LD_PRELOAD",)}
    subprocess.run(["cc", "-shared", "-fPIC", "-o", str(so), str(src)], check=True, env=env)
    r = _run("""
        import qpm
        try:
            qpm.load_library(%r)
        except qpm.QpmLibraryError as e:
            print("refused:", e)
        """ % str(so), {})
    assert r.returncode == 0, r.stderr
    assert "refused:" in r.stdout and "major version 1" in r.stdout


def test_not_libqpm_is_refused(tmp_path):
    r = _run("""
        import ctypes.util, qpm
        try:
            qpm.load_library(ctypes.util.find_library("m") or "libm.so.6")
        except qpm.QpmLibraryError as e:
            print("refused:", e)
        """, {})
    assert r.returncode == 0, r.stderr
    assert "not libqpm" in r.stdout
