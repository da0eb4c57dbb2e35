#!/usr/bin/python3
"""Reference solutions for tests/test_num_lm.c from scipy.optimize.least_squares
(method='trf', analytic Jacobians, ftol = xtol = gtol = 1e-15, x_scale = 1).

Run:  /usr/bin/python3 tests/data/lm_scipy_ref.py
It prints the C initialisers pasted into the test (the test itself does not
need scipy).  Made with scipy 1.10.1 and numpy 1.24.2."""
import math

import numpy as np
from scipy.optimize import least_squares

TOL = dict(ftol=1e-15, xtol=1e-15, gtol=1e-15, method='trf', max_nfev=100000)

# exponential decay y = a exp(-k t) + c with a deterministic wobble
T = np.array([0.25 * i for i in range(40)])
Y = np.array([2.5 * math.exp(-1.3 * t) + 0.4 + 0.01 * math.sin(3.0 * i)
              for i, t in enumerate(T)])


def decay(x):
    return x[0] * np.exp(-x[1] * T) + x[2] - Y


def decay_jac(x):
    e = np.exp(-x[1] * T)
    return np.column_stack([e, -x[0] * T * e, np.ones_like(T)])


# Kowalik and Osborne (More, Garbow, Hillstrom 1981, problem 15)
KY = np.array([0.1957, 0.1947, 0.1735, 0.1600, 0.0844, 0.0627, 0.0456, 0.0342, 0.0323,
               0.0235, 0.0246])
KU = np.array([4.0, 2.0, 1.0, 0.5, 0.25, 0.167, 0.125, 0.1, 0.0833, 0.0714, 0.0625])


def kowalik(x):
    d = KU * KU + x[2] * KU + x[3]
    return KY - x[0] * (KU * KU + x[1] * KU) / d


def kowalik_jac(x):
    d = KU * KU + x[2] * KU + x[3]
    n = KU * KU + x[1] * KU
    return np.column_stack([-n / d, -x[0] * KU / d, x[0] * n * KU / d ** 2,
                            x[0] * n / d ** 2])


PROBLEMS = [
    # name, fun, jac, x0, lower, upper
    ('decay_free', decay, decay_jac, [1.0, 0.5, 0.0], [0, 0, -1], [10, 5, 1]),
    # the unconstrained optimum (k ~ 1.3) is infeasible: k <= 1
    ('decay_bound', decay, decay_jac, [1.0, 0.5, 0.0], [0, 0, -1], [10, 1, 1]),
    ('kowalik_free', kowalik, kowalik_jac, [0.25, 0.39, 0.415, 0.39], [-np.inf] * 4,
     [np.inf] * 4),
    # bounded variant: x1 <= 0.15 is active at the solution
    ('kowalik_bound', kowalik, kowalik_jac, [0.1, 0.1, 0.1, 0.1], [0, 0, 0, 0],
     [1, 0.15, 1, 1]),
]

for name, fun, jac, x0, lo, hi in PROBLEMS:
    r = least_squares(fun, np.array(x0, float), jac=jac, bounds=(lo, hi), **TOL)
    xs = ', '.join('%.17g' % v for v in r.x)
    print('/* %s: status %d, nfev %d, active_mask %s */' % (name, r.status, r.nfev,
                                                          list(r.active_mask)))
    print('{"%s", {%s}, %.17g},' % (name, xs, r.cost))

# The optimum itself, to 40 digits: Newton's method in mpmath on the
# stationarity conditions of the free parameters (the active bound, where
# scipy reports one, held fixed), started from scipy's solution.  scipy's
# tolerances leave its x within ~1e-8 of it on these flat problems.
import mpmath  # noqa: E402

mpmath.mp.dps = 40


def mp_residuals(name, x):
    if name.startswith('decay'):
        return [x[0] * mpmath.exp(-x[1] * mpmath.mpf(float(t))) + x[2] - mpmath.mpf(float(y))
                for t, y in zip(T, Y)]
    return [mpmath.mpf(float(yk)) - x[0] * (mpmath.mpf(float(u)) ** 2 + x[1] * mpmath.mpf(float(u)))
            / (mpmath.mpf(float(u)) ** 2 + x[2] * mpmath.mpf(float(u)) + x[3])
            for yk, u in zip(KY, KU)]


print('/* optimum to 40 digits (mpmath Newton on the gradient, active bounds fixed) */')
for name, fun, jac, x0, lo, hi in PROBLEMS:
    r = least_squares(fun, np.array(x0, float), jac=jac, bounds=(lo, hi), **TOL)
    fixed = {j: mpmath.mpf(float(hi[j] if r.x[j] > 0.5 * (lo[j] + hi[j]) else lo[j]))
             for j in range(len(x0)) if r.active_mask[j] != 0}
    free = [j for j in range(len(x0)) if j not in fixed]

    def full(z):
        x = [None] * len(x0)
        for j, v in fixed.items():
            x[j] = v
        for j, v in zip(free, z):
            x[j] = v
        return x

    def cost(*z):
        return sum(v * v for v in mp_residuals(name, full(list(z)))) / 2

    def grad(*z):
        return [mpmath.diff(lambda *w: cost(*w), z, tuple(int(i == j) for i in range(len(z))))
                for j in range(len(z))]

    z = mpmath.findroot(grad, [mpmath.mpf(float(r.x[j])) for j in free], tol=1e-35)
    x = full(list(z) if len(free) > 1 else [z])
    xs = ', '.join(mpmath.nstr(v, 17, min_fixed=-5, max_fixed=5) for v in x)
    print('{"%s", {%s}, %s},' % (name, xs, mpmath.nstr(cost(*(list(z) if len(free) > 1 else [z])), 17)))
