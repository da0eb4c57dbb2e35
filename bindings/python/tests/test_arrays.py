"""Array marshalling: zero copy, one conversion, lists without numpy."""
import ctypes
import os
import subprocess
import sys

import numpy as np
import pytest

from qpm import _arrays
from conftest import ROOT


def test_contiguous_float64_is_not_copied():
    a = np.linspace(1.0, 2.0, 101)
    assert _arrays.input_address(a) == a.ctypes.data
    v = _arrays.vector(a)
    assert v.obj is a and v.n == 101


def test_other_inputs_are_converted_once():
    base = np.arange(20.0)
    strided = base[::2]
    v = _arrays.vector(strided)
    assert v.addr != strided.ctypes.data and v.obj.flags.c_contiguous
    assert np.array_equal(v.obj, strided)
    v = _arrays.vector(np.arange(5, dtype=np.float32))
    assert v.obj.dtype == np.float64
    v = _arrays.vector([1, 2, 3])
    assert v.n == 3 and list(v.obj) == [1.0, 2.0, 3.0]
    with pytest.raises(ValueError):
        _arrays.vector(np.zeros((2, 2)))


def test_output_is_written_in_place_and_validated():
    out = np.zeros(4)
    v = _arrays.output(4, out)
    assert v.addr == out.ctypes.data
    ctypes.memmove(v.addr, (ctypes.c_double * 4)(1, 2, 3, 4), 32)
    assert list(out) == [1, 2, 3, 4]
    with pytest.raises(ValueError):
        _arrays.output(5, out)
    with pytest.raises(ValueError):
        _arrays.output(2, np.zeros(4)[::2])
    with pytest.raises(ValueError):
        _arrays.output(4, np.zeros(4, dtype=np.float32))
    with pytest.raises(TypeError):
        _arrays.output(4, [0.0] * 4)


def test_matrix_views_pass_with_leading_dimension():
    m = np.arange(30.0).reshape(5, 6)
    sub = m[1:4, 2:5]
    mv = _arrays.matrix(sub)
    assert mv.addr == sub.ctypes.data and mv.ld == 6 and (mv.rows, mv.cols) == (3, 3)
    ft = np.asfortranarray(m)
    mv = _arrays.matrix(ft)
    assert mv.ld == 6 and mv.obj.flags.c_contiguous and mv.addr != ft.ctypes.data
    om = _arrays.out_matrix(3, 3, np.zeros((5, 6))[1:4, 2:5])
    assert om.ld == 6
    with pytest.raises(ValueError):
        _arrays.out_matrix(3, 3, np.zeros((3, 3), order="F"))


def test_broadcast_scalars_and_length_mismatch():
    n, vs, all_scalar = _arrays.broadcast([1.0, np.arange(3.0)], ["a", "b"])
    assert n == 3 and not all_scalar and list(vs[0].obj) == [1.0, 1.0, 1.0]
    n, vs, all_scalar = _arrays.broadcast([1.0, 2], ["a", "b"], ["float64", "int32"])
    assert n == 1 and all_scalar and vs[1].obj.dtype == np.int32
    with pytest.raises(ValueError, match="b has 2 elements"):
        _arrays.broadcast([np.zeros(3), np.zeros(2)], ["a", "b"])


def test_without_numpy_results_are_lists(monkeypatch):
    monkeypatch.setattr(_arrays, "np", None)
    assert not _arrays.have_numpy()
    v = _arrays.vector((1.5, 2.5))
    assert v.result() == [1.5, 2.5]
    o = _arrays.output(2)
    ctypes.memmove(o.addr, v.addr, 16)
    assert o.result() == [1.5, 2.5]
    m = _arrays.matrix([[1, 2], [3, 4]])
    assert m.result() == [[1.0, 2.0], [3.0, 4.0]]
    n, vs, _ = _arrays.broadcast([1.0, [1, 2]], ["a", "b"])
    assert n == 2 and vs[0].result() == [1.0, 1.0]
    with pytest.raises(TypeError):
        _arrays.output(2, out=[0, 0])


def test_package_imports_and_works_without_numpy():
    code = ("import sys; sys.modules['numpy'] = None\n"
            "import qpm, qpm._arrays as A\n"
            "assert A.np is None\n"
            "print(qpm.version_string())\n"
            "b = qpm.Book(); b.add_underlying('BTC', 100.0, 0.0)\n"
            "b.add_positions('spot', 'BTC', 2.0)\n"
            "p = b.pnl([[0.1], [-0.1]])\n"
            "assert isinstance(p, list) and abs(p[0] - 20.0) < 1e-12 and abs(p[1] + 20.0) < 1e-12\n"
            "o = qpm.Optimizer([[0.04, 0.0], [0.0, 0.09]])\n"
            "w = o.min_variance()\n"
            "assert isinstance(w, list) and abs(w[0] - 0.09 / 0.13) < 1e-12, w\n"
            "res = qpm.Risk([[0.0004]], scenarios=2000, t_dof=4).simulate(b, pnl=True)\n"
            "assert isinstance(res.pnl, list) and len(res.pnl) == 2000 and res.var > 0\n")
    env = dict(os.environ, PYTHONPATH=str(ROOT / "bindings" / "python"))
    r = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
