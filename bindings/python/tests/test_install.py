"""Installing the package: the README's one command builds a wheel that
carries libqpm and works offline in a fresh venv, with no environment
variables; the loader's search order; meson's install lists."""
import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import qpm
from conftest import ROOT, SANITIZE

#: Variables that would let an installed package find a library or modules
#: by another route than its own.
_ROUTES = ("QPM_LIBRARY", "LD_LIBRARY_PATH", "PYTHONPATH", "LD_PRELOAD", "PYTHONHOME")


def _clean_env(sanitizer=False, **extra):
    """The environment without the routes above; ``sanitizer`` keeps the
    ASan runtime preload (an ASan-built library loads only with it)."""
    env = {k: v for k, v in os.environ.items() if k not in _ROUTES and
           not k.startswith(("ASAN_", "UBSAN_", "MESON_"))}
    if sanitizer:
        env.update({k: v for k, v in os.environ.items()
                    if k == "LD_PRELOAD" or k.startswith(("ASAN_", "UBSAN_"))})
    env.update(extra)
    return env


def readme_install_command():
    """The install command of the root README's Python section (one line
    that makes a venv and pip-installs the checkout)."""
    text = (ROOT / "README.md").read_text()
    section = text.split("\n## Python", 1)[1].split("\n## ", 1)[0]
    lines = [ln.strip() for ln in section.splitlines()
             if ln.strip().startswith("python3 -m venv")]
    assert len(lines) == 1, "the README's Python section must give exactly one command"
    return lines[0]


def test_both_readmes_give_the_same_command():
    cmd = readme_install_command()
    assert "--no-build-isolation" in cmd and "--no-index" in cmd
    assert "--system-site-packages" in cmd
    assert cmd in (ROOT / "bindings" / "python" / "README.md").read_text()


def _copy_checkout(dst):
    """The checkout's sources (no build trees, no venvs, no VCS data)."""
    ignore = shutil.ignore_patterns(".git", "build", "build-*", "build*", ".venv",
                                    ".mesonpy*", "__pycache__", "*.pyc")
    shutil.copytree(ROOT, dst, ignore=ignore, symlinks=True)


@pytest.mark.skipif(SANITIZE, reason="builds the library again from source: the normal "
                    "run covers it")
def test_readme_command_installs_offline_in_a_fresh_venv(tmp_path):
    """Exactly the README command, in a copy of the checkout; then, from
    outside the source tree and with no QPM_LIBRARY, LD_LIBRARY_PATH or
    PYTHONPATH, the venv's Python imports qpm and prices an option with the
    library inside the package."""
    try:
        import mesonpy  # noqa: F401
    except ImportError:
        pytest.skip("meson-python is not installed (Debian: python3-mesonpy)")
    src = tmp_path / "libqpm"
    _copy_checkout(src)
    # `python3` in the command is this interpreter (the one with meson-python)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "python3").symlink_to(sys.executable)
    env = _clean_env(PATH=str(bin_dir) + os.pathsep + os.environ.get("PATH", ""),
                     PIP_NO_INDEX="1")
    cmd = readme_install_command()
    r = subprocess.run(cmd, shell=True, cwd=str(src), env=env, capture_output=True, text=True,
                       timeout=900)
    assert r.returncode == 0, r.stdout[-4000:] + r.stderr[-4000:]
    venv_py = src / ".venv" / "bin" / "python"
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    code = textwrap.dedent("""
        import os, qpm
        with qpm.Pricer("black76", "inverse") as p:
            price = p.price(97000.0, 100000.0, 30 / 365, 0.55, "call")
            iv = p.implied_vol(price, 97000.0, 100000.0, 30 / 365, "call")
        print(qpm.__file__)
        print(qpm.library_path())
        print(repr(price), repr(iv))
        """)
    r = subprocess.run([str(venv_py), "-c", code], cwd=str(outside), env=_clean_env(),
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    pkg_file, lib_path, numbers = r.stdout.splitlines()
    site = src / ".venv" / "lib"
    assert Path(pkg_file).resolve().is_relative_to(site.resolve())
    assert Path(lib_path).name == "libqpm.so.%d" % qpm.EXPECTED_MAJOR
    assert Path(lib_path).resolve().parent == Path(pkg_file).resolve().parent
    price, iv = (float(x) for x in numbers.split())
    with qpm.Pricer("black76", "inverse") as p:
        assert price == p.price(97000.0, 100000.0, 30 / 365, 0.55, "call")
    assert abs(iv - 0.55) < 1e-12
    # -Dinstall_python=true still installs the package (beside a system-wide
    # library): meson lists it without building anything
    b = tmp_path / "b-inst"
    r = subprocess.run(["meson", "setup", str(b), "-Dinstall_python=true", "-Dtests=disabled",
                        "-Dbench=disabled", "-Dexamples=false", "-Dpython=disabled",
                        "--prefix", str(tmp_path / "prefix")], cwd=str(src), env=_clean_env(),
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    r = subprocess.run(["meson", "introspect", str(b), "--installed"], env=_clean_env(),
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    installed = r.stdout
    assert re.search(r'qpm/__init__\.py"', installed) and re.search(r'qpm/_arrays\.py"', installed)
    assert re.search(r'/lib[^"]*/libqpm\.so\.\d+\.\d+\.\d+"', installed)
    assert '/include/qpm"' in installed and 'pkgconfig/qpm.pc"' in installed


def test_loader_search_order(tmp_path):
    """QPM_LIBRARY, then the copy beside the package, then the system
    library; a copy of another major version is refused."""
    built = os.path.realpath(qpm.library_path())
    pkg = tmp_path / "site" / "qpm"
    shutil.copytree(ROOT / "bindings" / "python" / "qpm", pkg,
                    ignore=shutil.ignore_patterns("__pycache__"))
    code = "import qpm; qpm.version(); print(qpm.library_path())"

    def run(**env):
        e = _clean_env(sanitizer=True, PYTHONPATH=str(pkg.parent), **env)
        return subprocess.run([sys.executable, "-c", code], env=e, capture_output=True,
                              text=True, cwd=str(tmp_path), timeout=120)
    # 1. nothing beside the package, no QPM_LIBRARY: the system library
    #    (found here through LD_LIBRARY_PATH)
    libdir = os.path.dirname(built)
    if os.path.exists(os.path.join(libdir, "libqpm.so.%d" % qpm.EXPECTED_MAJOR)):
        r = run(LD_LIBRARY_PATH=libdir)
        assert r.returncode == 0, r.stderr
        assert r.stdout.strip() == "libqpm.so.%d" % qpm.EXPECTED_MAJOR
    # 2. a copy beside the package wins over the system library
    bundled = pkg / ("libqpm.so.%d" % qpm.EXPECTED_MAJOR)
    shutil.copyfile(built, bundled)
    r = run(LD_LIBRARY_PATH=libdir)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == str(bundled)
    # 3. QPM_LIBRARY wins over both
    r = run(QPM_LIBRARY=built, LD_LIBRARY_PATH=libdir)
    assert r.returncode == 0, r.stderr
    assert os.path.realpath(r.stdout.strip()) == built
    # 4. a bundled copy of another major version is refused, not skipped
    if shutil.which("cc"):
        fake = tmp_path / "fake.c"
        fake.write_text("unsigned qpm_version_number(void) { return 10203u; }\n")
        bundled.unlink()
        subprocess.run(["cc", "-shared", "-fPIC", "-o", str(bundled), str(fake)], check=True,
                       env=_clean_env())
        r = run(LD_LIBRARY_PATH=libdir)
        assert r.returncode != 0 and "major version 1" in r.stderr


def test_versions_agree():
    h = (ROOT / "include" / "qpm" / "version.h").read_text()
    parts = [re.search(r"#define QPM_VERSION_%s\s+(\d+)" % k, h).group(1)
             for k in ("MAJOR", "MINOR", "PATCH")]
    want = ".".join(parts)
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert re.search(r'^version = "(.*)"', pyproject, re.M).group(1) == want
    assert qpm.__version__ == want
    assert int(parts[0]) == qpm.EXPECTED_MAJOR
    assert not (ROOT / "bindings" / "python" / "pyproject.toml").exists()


def test_meson_install_list_names_every_package_file():
    """bindings/python/meson.build installs the package file by file: a module
    missing there would be missing from a meson install and from the wheel."""
    text = (ROOT / "bindings" / "python" / "meson.build").read_text()
    listed = set(re.findall(r"'qpm/([^']+)'", text))
    pkg = ROOT / "bindings" / "python" / "qpm"
    present = {p.name for p in pkg.iterdir() if p.suffix in (".py", ".typed")}
    assert listed == present, "meson.build py_sources differs: missing %s, extra %s" % (
        sorted(present - listed), sorted(listed - present))
