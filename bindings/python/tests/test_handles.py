"""Handles in general: 10^5 create/free cycles leave the C heap where it
was; closing, context managers and finalisers free exactly once."""
import ctypes
import gc

import pytest

import qpm
from conftest import SANITIZE


class _Mallinfo2(ctypes.Structure):
    _fields_ = [(n, ctypes.c_size_t) for n in
                ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks",
                 "uordblks", "fordblks", "keepcost")]


def _heap_counter():
    """Bytes currently allocated through malloc: ASan's own counter under
    ASan, glibc's mallinfo2 otherwise; None when neither exists."""
    proc = ctypes.CDLL(None)
    if SANITIZE:
        f = getattr(proc, "__sanitizer_get_current_allocated_bytes", None)
        if f is None:
            return None
        f.restype = ctypes.c_size_t
        return lambda: int(f())
    f = getattr(proc, "mallinfo2", None)
    if f is None:
        return None
    f.restype = _Mallinfo2

    def used():
        m = f()
        return int(m.uordblks + m.hblkhd)
    return used


CYCLES = 100_000


def _factories():
    return [("Rng", lambda i: qpm.Rng(i, qpm.RngKind(i % 3))),
            ("Pricer", lambda i: qpm.Pricer(qpm.Model(i % 3))),
            ("Cov", lambda i: qpm.Cov(3 + i % 5)),
            ("Book", lambda i: qpm.Book()),
            ("Optimizer", lambda i: qpm.Optimizer(n=3 + i % 5)),
            ("Risk", lambda i: qpm.Risk())]


@pytest.mark.parametrize("name,make", _factories())
def test_create_free_cycles_do_not_leak(name, make):
    heap = _heap_counter()
    if heap is None:
        pytest.skip("no heap counter (mallinfo2 / ASan) available")
    for i in range(2000):  # warm caches, free lists, the finaliser registry
        with make(i):
            pass
    gc.collect()
    before = heap()
    for i in range(CYCLES // 2):
        with make(i):  # freed by close()
            pass
    for i in range(CYCLES // 2):
        h = make(i)
        del h  # freed by the finaliser
    gc.collect()
    grown = heap() - before
    # A leak of even 8 bytes per cycle would be 800 kB; allow 64 kB of noise
    # from the interpreter's own allocations.
    assert grown < 64 * 1024, "%s: heap grew by %d bytes over %d cycles" % (name, grown, CYCLES)


def test_split_handles_are_freed():
    heap = _heap_counter()
    if heap is None:
        pytest.skip("no heap counter (mallinfo2 / ASan) available")
    base = qpm.Rng(1)
    for k in range(1000):
        base.split(k).close()
    gc.collect()
    before = heap()
    for k in range(20000):
        s = base.split(k)
        del s
    gc.collect()
    assert heap() - before < 64 * 1024


def test_handle_base_behaviour():
    c = qpm.Cov(2)
    assert isinstance(c, qpm.Handle) and not c.closed
    with c as same:
        assert same is c
    assert c.closed
    c.close()
    with pytest.raises(ValueError, match="closed"):
        c.handle
    with pytest.raises(ValueError, match="closed"):
        c.reset()
    d = qpm.Cov(2)
    fin = d._finalizer
    assert fin.alive
    del d
    gc.collect()
    assert not fin.alive


def test_threads_with_their_own_handles():
    """Distinct handles in distinct threads give the single-thread results,
    and each thread's error carries its own message (thread-local)."""
    import threading
    import numpy as np
    F = np.linspace(50.0, 150.0, 5001)
    with qpm.Pricer("black76") as p:
        ref = p.price(F, 100.0, 1.0, 0.5)
    ref_u = qpm.Rng(5).uniform(1000)
    results, errors = {}, {}

    def work(i):
        with qpm.Pricer("black76") as p, qpm.Rng(5) as g:
            for _ in range(20):
                results[i] = (p.price(F, 100.0, 1.0, 0.5), g.uniform(1000))
                g.seed(5, 0x2c28fa16a64abf968a02bdbf7bb3c0a7)
            try:
                p.price(100.0, -float(i + 1), 1.0, 0.5)
            except qpm.QpmInvalidError as e:
                errors[i] = e.message

    ts = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    for i in range(4):
        assert np.array_equal(results[i][0], ref)
        assert np.array_equal(results[i][1], ref_u)
        assert "strike[0] = -%d" % (i + 1) in errors[i]
