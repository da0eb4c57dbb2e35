"""The package installs with pip (offline, no build isolation) and works
from the install location."""
import os
import shutil
import subprocess
import sys

import pytest

from conftest import ROOT


def test_pip_install_target(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("LD_PRELOAD", "PYTHONPATH")}
    if subprocess.run([sys.executable, "-m", "pip", "--version"], env=env,
                      capture_output=True).returncode != 0:
        pytest.skip("pip is not installed for %s" % sys.executable)
    src = tmp_path / "src"
    shutil.copytree(ROOT / "bindings" / "python", src,
                    ignore=shutil.ignore_patterns("tests", "build", "*.egg-info",
                                                  "__pycache__"))
    target = tmp_path / "site"
    r = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-index",
                        "--no-build-isolation", "--no-deps", "--target", str(target), str(src)],
                       env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    assert (target / "qpm" / "py.typed").is_file()
    env = dict(os.environ, PYTHONPATH=str(target))
    code = "import qpm; print(qpm.__file__); print(qpm.version_string())"
    r = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                       cwd=str(tmp_path))
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[0].startswith(str(target))
    # An installed copy (outside a checkout) without QPM_LIBRARY falls back
    # to the system loader, which finds libqpm.so.0 on LD_LIBRARY_PATH.
    lib = os.environ.get("QPM_LIBRARY") or __import__("qpm").library_path()
    libdir = os.path.dirname(os.path.realpath(lib))
    if not os.path.exists(os.path.join(libdir, "libqpm.so.0")):
        pytest.skip("no libqpm.so.0 link beside %s" % lib)
    env.pop("QPM_LIBRARY", None)
    env["LD_LIBRARY_PATH"] = libdir
    code = "import qpm; print(qpm.version_string()); print(qpm.library_path())"
    r = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                       cwd=str(tmp_path))
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[1] == "libqpm.so.0"


def test_meson_install_list_names_every_package_file():
    """bindings/python/meson.build installs the package file by file: a module
    missing there would be missing from a meson install."""
    import re
    text = (ROOT / "bindings" / "python" / "meson.build").read_text()
    listed = set(re.findall(r"'qpm/([^']+)'", text))
    pkg = ROOT / "bindings" / "python" / "qpm"
    present = {p.name for p in pkg.iterdir() if p.suffix in (".py", ".typed")}
    assert listed == present, "meson.build py_sources differs: missing %s, extra %s" % (
        sorted(present - listed), sorted(listed - present))
