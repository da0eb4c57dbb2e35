"""One handle shared by several Python threads: calls take turns (no lost
update, no deadlock), close() waits for a call in flight on another thread,
and a thread that uses a handle after another closed it gets ValueError,
never freed memory.  The ASan run checks the memory side."""
import threading
import time

import numpy as np
import pytest

import qpm
from qpm import Book, Cov, Pricer, Risk, Rng
from conftest import SANITIZE

THREADS = 8
ROUNDS = 20 if SANITIZE else 200


def _run_threads(target, n=THREADS, timeout=120.0):
    errors = []

    def wrap(i):
        try:
            target(i)
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)
    ts = [threading.Thread(target=wrap, args=(i,)) for i in range(n)]
    for t in ts:
        t.start()
    for t in ts:
        t.join(timeout)
    assert not any(t.is_alive() for t in ts), "threads still running: a deadlock"
    if errors:
        raise errors[0]


def test_hammer_one_pricer_from_eight_threads():
    F = np.linspace(50.0, 150.0, 2001)
    with Pricer("black76") as p:
        ref = p.price(F, 100.0, 1.0, 0.5)
        ref1 = p.price(101.0, 100.0, 1.0, 0.5)

        def work(i):
            for k in range(ROUNDS):
                assert np.array_equal(p.price(F, 100.0, 1.0, 0.5), ref)
                assert p.price(101.0, 100.0, 1.0, 0.5) == ref1
                p.threads = 1 + (i + k) % 3  # settings change between calls
                try:
                    p.price(100.0, -1.0 - i, 1.0, 0.5)
                except qpm.QpmInvalidError as e:  # this thread's own message
                    assert "strike[0] = -%d" % (i + 1) in e.message
        _run_threads(work)


def test_shared_rng_and_cov_lose_no_update():
    per = 50 if SANITIZE else 500
    g, ref = Rng(7), Rng(7)
    with g, ref:
        _run_threads(lambda i: [g.uniform(3) for _ in range(per)])
        ref.advance(THREADS * per * 3)
        assert g.state == ref.state
    X = np.random.default_rng(3).normal(0, 0.01, (THREADS * per + 10, 5))
    with Cov(5) as c:
        c.fit(X[:10])
        _run_threads(lambda i: [c.push(X[10 + i * per + j]) for j in range(per - 2)])
        assert c.nobs == 10 + THREADS * (per - 2)


def test_two_handles_locked_in_either_order_do_not_deadlock():
    a, b = Rng(1), Rng(2)
    with a, b:
        def work(i):
            x, y = (a, b) if i % 2 else (b, a)
            for k in range(ROUNDS):
                x.set_stream(y, k)
        _run_threads(work, 4)
    with Book() as bk, Risk([[1e-4]], scenarios=2000) as r:
        bk.add_underlying("BTC", 100.0)
        bk.add_positions("spot", "BTC", 1.0)

        def risk_and_book(i):
            for _ in range(ROUNDS // 4 + 1):
                if i % 2:
                    r.simulate(bk)
                else:
                    bk.pnl([[0.01]])
                    bk.set_spot("BTC", 100.0)
        _run_threads(risk_and_book, 4)


def test_close_waits_for_a_call_in_flight():
    with Book() as b:
        b.add_underlying("BTC", 100.0)
        b.add_positions("spot", "BTC", 1.0)
        r = Risk([[1e-4]], scenarios=40000)
        started = threading.Event()
        result = {}

        def slow(done):
            started.set()
            time.sleep(0.002)  # a few hundred reports: the run takes a while

        def run():
            result["res"] = r.simulate(b, progress=slow)
        t = threading.Thread(target=run)
        t.start()
        assert started.wait(30)
        with pytest.raises(RuntimeError, match="busy"):
            r.close(timeout=0.0)
        assert "busy" in repr(r)
        r.close()  # waits for the run
        t.join(30)
        assert not t.is_alive() and r.closed
        assert result["res"].n == 40000 and result["res"].var > 0
        with pytest.raises(ValueError, match="closed"):
            r.simulate(b)


def test_close_from_another_thread_mid_run():
    """Eight threads price on one handle while another closes it: every call
    either completes or raises ValueError('closed')."""
    F = np.linspace(50.0, 150.0, 20001)
    for _ in range(3 if SANITIZE else 10):
        p = Pricer("black76")
        ref = p.price(F, 100.0, 1.0, 0.5)
        go = threading.Barrier(THREADS + 1)
        outcomes = []

        def work(i):
            go.wait()
            while True:
                try:
                    got = p.price(F, 100.0, 1.0, 0.5) if i % 2 else p.price(99.0, 100.0, 1.0, 0.5)
                except ValueError as e:
                    assert "closed" in str(e)
                    outcomes.append("closed")
                    return
                if i % 2:
                    assert np.array_equal(got, ref)

        ts = [threading.Thread(target=work, args=(i,)) for i in range(THREADS)]
        for t in ts:
            t.start()
        go.wait()
        time.sleep(0.01)
        p.close()
        for t in ts:
            t.join(60)
        assert not any(t.is_alive() for t in ts)
        assert outcomes == ["closed"] * THREADS


def test_threads_with_their_own_handles_run_in_parallel_safely():
    def work(i):
        with Risk([[1e-4, 0.0], [0.0, 4e-4]], scenarios=3000, seed=i) as r, Book() as b:
            b.add_underlying("BTC", 100.0)
            b.add_underlying("ETH", 10.0)
            b.add_positions("spot", ["BTC", "ETH"], [1.0, 5.0])
            assert r.simulate(b).var > 0
    _run_threads(work, 4)
