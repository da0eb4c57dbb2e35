#!/usr/bin/python3
"""Reference values for tests/test_amm.c, computed with mpmath at 50 digits
from the textbook forms of Uniswap v2 and v3 (Adams et al., "Uniswap v3
Core", 2021, section 6.2), not from the rearranged forms libqpm evaluates:
  coin = L (1/sqrt(P) - 1/sqrt(Pb)),  usd = L (sqrt(P) - sqrt(Pa)) in range,
  clamped to the range outside it; value = P coin + usd; delta = dvalue/dP,
  gamma = d2value/dP2 (analytic); a swap walks the intervals with
  1/sqrt(P') = 1/sqrt(P) + dx/L (coins in) or sqrt(P') = sqrt(P) + dy/L.

Run:  /usr/bin/python3 tests/data/amm_mpmath_ref.py
It prints the C initialisers pasted into the test (the test itself does not
need mpmath).  Made with mpmath 1.2.1."""
from mpmath import mp, mpf, sqrt, inf

mp.dps = 50


def amounts(P, L, Pa, Pb):
    P, L, Pa, Pb = mpf(P), mpf(L), mpf(Pa), mpf(Pb)
    sa, sb = sqrt(Pa), sqrt(Pb)
    Pc = min(max(P, Pa), Pb)
    sc = sqrt(Pc)
    coin = L * (1 / sc - (0 if Pb == inf else 1 / sb))
    usd = L * (sc - sa)
    gamma = -L / (2 * P * sqrt(P)) if Pa <= P < Pb else mpf(0)
    return coin, usd, P * coin + usd, coin, gamma


def c(x):
    """A double literal that rounds to the nearest double of x."""
    if x == inf:
        return "INF"
    return "%.17g" % float(x) if x != 0 else "0.0"


positions = [
    # (P, L, Pa, Pb): full range, in, below, above, at the bounds
    (30000, 1000, 0, inf),
    (1e-6, 3.5, 0, inf),
    (2.5e8, 0.125, 0, inf),
    (30000, 1000, 25000, 35000),
    (25000, 1000, 25000, 35000),
    (34999.999, 1000, 25000, 35000),
    (35000, 1000, 25000, 35000),
    (20000, 1000, 25000, 35000),
    (40000, 1000, 25000, 35000),
    (1800.5, 77.7, 1500, inf),
    (1200, 77.7, 1500, inf),
    (0.9995, 1e6, 0, 1.0),
    (1.5, 1e6, 0, 1.0),
    # one tick (1.0001) around 30000: in, below, above
    (30001.5, 50, 30000, 30000 * 1.0001),
    (29999, 50, 30000, 30000 * 1.0001),
    (30003.5, 50, 30000, 30000 * 1.0001),
    # a narrow range far from 1, a wide one
    (1e-5 * 1.00004, 2e9, 1e-5, 1e-5 * 1.0001),
    (123.456, 0.01, 1e-3, 1e7),
]

print("/* P, L, Pa, Pb, coin, usd, value, delta, gamma */")
print("static const double POS[][9] = {")
for P, L, Pa, Pb in positions:
    vals = amounts(P, L, Pa, Pb)
    print("    {%s}," % ", ".join([c(mpf(P)), c(mpf(L)), c(mpf(Pa)), c(mpf(Pb) if Pb != inf else inf)]
                                 + [c(v) for v in vals]))
print("};")


def il(P0, P1, Pa, Pb):
    c0, u0, _, _, _ = amounts(P0, 1, Pa, Pb)
    c1, u1, _, _, _ = amounts(P1, 1, Pa, Pb)
    P1 = mpf(P1)
    return (P1 * c1 + u1) / (P1 * c0 + u0) - 1


ils = [
    (100, 200, 0, inf), (100, 50, 0, inf), (100, 400, 0, inf), (100, 100.001, 0, inf),
    (100, 99.99999, 0, inf), (30000, 33000, 25000, 35000), (30000, 40000, 25000, 35000),
    (30000, 20000, 25000, 35000), (20000, 22000, 25000, 35000), (20000, 30000, 25000, 35000),
    (40000, 10000, 25000, 35000), (30000, 30000.3, 25000, 35000),
]
print("/* P0, P1, Pa, Pb, loss */")
print("static const double IL[][5] = {")
for P0, P1, Pa, Pb in ils:
    print("    {%s, %s, %s, %s, %s}," % (c(mpf(P0)), c(mpf(P1)), c(mpf(Pa)), c(mpf(Pb)),
                                         c(il(P0, P1, Pa, Pb))))
print("};")


def v2(rc, ru, fee, side, a):
    rc, ru, fee, a = mpf(rc), mpf(ru), mpf(fee), mpf(a)
    ain = a * (1 - fee)
    if side == 0:
        out = ru * ain / (rc + ain)
        after = (ru - out) / (rc + a)
        avg = out / a
    else:
        out = rc * ain / (ru + ain)
        after = (ru + a) / (rc - out)
        avg = a / out
    return out, after, abs(avg / (ru / rc) - 1)


swaps2 = [(1000, 30e6, 0.003, 0, 1), (1000, 30e6, 0.003, 0, 250), (1000, 30e6, 0.003, 1, 30000),
          (1000, 30e6, 0.003, 1, 9e6), (5e5, 1e6, 0, 0, 1e-3), (5e5, 1e6, 0.01, 1, 1e7)]
print("/* reserve_coin, reserve_usd, fee, side, amount_in, amount_out, price_after, impact */")
print("static const double SWAP2[][8] = {")
for rc, ru, fee, side, a in swaps2:
    out = v2(rc, ru, fee, side, a)
    print("    {%s}," % ", ".join([c(mpf(x)) for x in (rc, ru, fee, side, a)] + [c(x) for x in out]))
print("};")

# a concentrated-liquidity pool: five intervals, one of them empty
BOUNDS = [20000, 25000, 28000, 30000, 32000, 40000]
LIQ = [5e4, 2e5, 0, 3.5e5, 8e4]


def v3(P, fee, side, a):
    P, a = mpf(P), mpf(a)
    rem = a * (1 - mpf(fee))
    out = mpf(0)
    s = sqrt(P)
    crossed = 0
    if side == 0:
        k = max(i for i in range(len(LIQ)) if BOUNDS[i] < P)
        first = True
        while True:
            if not first:
                crossed += 1
            first = False
            L, slo = mpf(LIQ[k]), sqrt(mpf(BOUNDS[k]))
            cap = L * (1 / slo - 1 / s)
            if L > 0 and rem <= cap:
                s1 = 1 / (1 / s + rem / L)
                out += L * (s - s1)
                s = s1
                break
            out += L * (s - slo)
            rem -= cap
            s = slo
            k -= 1
    else:
        k = min(i for i in range(len(LIQ)) if P < BOUNDS[i + 1])
        first = True
        while True:
            if not first:
                crossed += 1
            first = False
            L, shi = mpf(LIQ[k]), sqrt(mpf(BOUNDS[k + 1]))
            cap = L * (shi - s)
            if L > 0 and rem <= cap:
                s1 = s + rem / L
                out += L * (1 / s - 1 / s1)
                s = s1
                break
            out += L * (1 / s - 1 / shi)
            rem -= cap
            s = shi
            k += 1
    avg = out / a if side == 0 else a / out
    return out, s * s, abs(avg / P - 1), crossed


swaps3 = [(30500, 0.0005, 0, 0.5), (30500, 0.0005, 0, 20), (30500, 0.0005, 0, 100),
          (30500, 0.0005, 1, 1e5), (30500, 0.0005, 1, 2e6), (26000, 0.003, 1, 1.5e6),
          (30000, 0.0005, 0, 1), (25000, 0, 1, 1000), (20000.5, 0.01, 0, 1e-3)]
print("/* price, fee, side, amount_in, amount_out, price_after, impact, ticks_crossed */")
print("static const double SWAP3[][8] = {")
for P, fee, side, a in swaps3:
    out, after, imp, crossed = v3(P, fee, side, a)
    print("    {%s}," % ", ".join([c(mpf(x)) for x in (P, fee, side, a)]
                                 + [c(out), c(after), c(imp), str(crossed)]))
print("};")
