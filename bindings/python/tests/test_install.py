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
