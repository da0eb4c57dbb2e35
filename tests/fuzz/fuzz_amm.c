/* Fuzz target: the amm family (include/qpm/amm.h, experimental): positions
 * over drawn ranges (full, one-sided, tiny and huge), liquidity from
 * amounts, impermanent loss, swaps against v2 and v3 pools.  Beyond the
 * common invariants: outputs untouched on failure; delta equals the coins
 * held, value = P coin + usd up to rounding, gamma 0 outside the range;
 * liquidity from amounts never needs more than it was given; a swap pays
 * out less than the pool holds and moves the price the way of the trade;
 * a v3 walk ends within the pool's bounds. */
#define QPM_EXPERIMENTAL
#include <stdlib.h>
#include <string.h>

#include "fuzz_support.h"

#define MAXN 8

typedef struct state {
    fz_alloc fa; /* unused: the amm functions allocate nothing */
} state;

/* a range: mostly ordinary, sometimes full, open above, reversed or odd */
static void draw_range(fz_in *in, double P, double *lo, double *hi)
{
    uint8_t k = fz_u8(in);
    double w = fz_real(in, 1e-4, 2.0);
    switch (k % 6) {
    case 0: *lo = 0.0, *hi = FZ_INF; break;
    case 1: *lo = P * (1 - w / 3), *hi = FZ_INF; break;
    case 2: *lo = 0.0, *hi = P * (1 + w); break;
    case 3: *lo = P * (1 + w), *hi = P * (1 + 2 * w); break; /* above the price */
    case 4: *lo = fz_real(in, 0, 1e6), *hi = fz_real(in, 0, 1e6); break;
    default: *lo = P / (1 + w), *hi = P * (1 + w); break;
    }
}

static void one_op(fz_pass *p, state *s, fz_in *in)
{
    (void)s;
    uint8_t op = fz_u8(in) % 5;
    qpm_status st = QPM_OK;
    uint64_t hash = FZ_HASH0;
    long i;
    switch (op) {
    case 0: { /* positions */
        size_t n = fz_u8(in) < 250 ? fz_range(in, 1, MAXN) : 0;
        double P[MAXN], L[MAXN], lo[MAXN], hi[MAXN];
        fz_fill(in, P, MAXN, 1e-6, 1e7);
        fz_fill(in, L, MAXN, 1e-3, 1e6);
        for (size_t k = 0; k < MAXN; k++)
            draw_range(in, P[k], &lo[k], &hi[k]);
        uint8_t nulls = fz_u8(in);
        double o[5][MAXN];
        for (int k = 0; k < 5; k++)
            fz_poison(o[k], MAXN);
        i = fz_op(p, "amm position");
        if (fz_skip(p, i, 0))
            return;
        st = FZ(qpm_amm_position(n, nulls == 1 ? NULL : P, nulls == 2 ? NULL : L,
                                 nulls & 4 ? NULL : lo, nulls & 8 ? NULL : hi,
                                 nulls & 16 ? NULL : o[0], o[1], o[2], o[3], o[4]));
        if (st != QPM_OK) {
            for (int k = 0; k < 5; k++)
                fz_untouched(o[k], MAXN, "amm position outputs");
            break;
        }
        if (!(nulls & 16))
            fz_expect(FZ_AMM_AMOUNT, "coin", o[0], n, 1, 0);
        fz_expect(FZ_AMM_AMOUNT, "usd", o[1], n, 1, 0);
        fz_expect(FZ_AMM_AMOUNT, "value", o[2], n, 1, 0);
        fz_expect(FZ_AMM_AMOUNT, "delta", o[3], n, 1, 0);
        fz_expect(FZ_AMM_GAMMA, "gamma", o[4], n, 1, 0);
        for (size_t k = 0; k < n; k++) {
            double a = nulls & 4 ? 0.0 : lo[k], b = nulls & 8 ? FZ_INF : hi[k];
            if (!(nulls & 16) && o[0][k] != o[3][k])
                fz_fail("position %zu: delta %.17g != coin %.17g", k, o[3][k], o[0][k]);
            if ((P[k] < a || P[k] >= b) && o[4][k] != 0.0)
                fz_fail("position %zu: gamma %.17g outside the range", k, o[4][k]);
            /* the value is L (P c + u) per unit of liquidity: the products
             * L c and L u it is compared with can underflow at extremes */
            double v = P[k] * o[3][k] + o[1][k];
            int extreme = L[k] < 1e-100 || P[k] < 1e-100 || P[k] > 1e100;
            if (!extreme && isfinite(v) && fabs(v - o[2][k]) > 1e-14 * v + 1e-300)
                fz_fail("position %zu (P %.17g, L %.17g, [%.17g, %.17g)): value %.17g != P coin "
                        "+ usd %.17g",
                        k, P[k], L[k], a, b, o[2][k], v);
        }
        for (int k = 0; k < 5; k++)
            hash = fz_hash(hash, o[k], n * sizeof(double));
        break;
    }
    case 1: { /* liquidity from amounts */
        double P = fz_real(in, 1e-6, 1e7), lo, hi;
        draw_range(in, P, &lo, &hi);
        double coin = fz_real(in, 0, 1e4), usd = fz_real(in, 0, 1e9);
        double out[3];
        fz_poison(out, 3);
        i = fz_op(p, "amm liquidity");
        if (fz_skip(p, i, 0))
            return;
        st = FZ(qpm_amm_liquidity(P, lo, hi, coin, usd, &out[0], &out[1], &out[2]));
        if (st != QPM_OK) {
            fz_untouched(out, 3, "amm liquidity outputs");
            break;
        }
        fz_expect(FZ_AMM_AMOUNT, "liquidity and what is left", out, 3, 1, 0);
        if (!(out[0] > 0.0))
            fz_fail("liquidity %.17g with QPM_OK", out[0]);
        if (out[1] > coin || out[2] > usd)
            fz_fail("left %.17g coin, %.17g usd of %.17g, %.17g", out[1], out[2], coin, usd);
        double c, u;
        if (qpm_amm_position(1, &P, &out[0], &lo, &hi, &c, &u, NULL, NULL, NULL) == QPM_OK &&
            (c > coin * (1 + 1e-14) + 1e-300 || u > usd * (1 + 1e-14) + 1e-300))
            fz_fail("liquidity %.17g needs %.17g coin, %.17g usd of %.17g, %.17g", out[0], c, u,
                    coin, usd);
        hash = fz_hash(hash, out, sizeof out);
        break;
    }
    case 2: { /* impermanent loss */
        size_t n = fz_u8(in) < 250 ? fz_range(in, 1, MAXN) : 0;
        double p0[MAXN], p1[MAXN], lo[MAXN], hi[MAXN], loss[MAXN];
        fz_fill(in, p0, MAXN, 1e-6, 1e7);
        fz_fill(in, p1, MAXN, 1e-6, 1e7);
        for (size_t k = 0; k < MAXN; k++)
            draw_range(in, p0[k], &lo[k], &hi[k]);
        uint8_t nulls = fz_u8(in);
        fz_poison(loss, MAXN);
        i = fz_op(p, "amm impermanent_loss");
        if (fz_skip(p, i, 0))
            return;
        st = FZ(qpm_amm_impermanent_loss(n, nulls == 1 ? NULL : p0, p1, nulls & 4 ? NULL : lo,
                                         nulls & 8 ? NULL : hi, nulls == 2 ? NULL : loss));
        if (st != QPM_OK) {
            fz_untouched(loss, MAXN, "impermanent loss");
            break;
        }
        fz_expect(FZ_AMM_LOSS, "impermanent loss", loss, n, 1, 0);
        hash = fz_hash(hash, loss, n * sizeof(double));
        break;
    }
    case 3: { /* v2 swap */
        double rc = fz_real(in, 1e-3, 1e9), ru = fz_real(in, 1e-3, 1e12);
        double fee = fz_u8(in) < 240 ? fz_real(in, 0, 0.05) : fz_special(in);
        uint8_t sb = fz_u8(in);
        qpm_amm_side side = (qpm_amm_side)(sb < 250 ? sb % 2 : (int)sb - 252);
        double a = fz_real(in, 1e-9, 1e9), out[3];
        fz_poison(out, 3);
        i = fz_op(p, "amm swap_v2");
        if (fz_skip(p, i, 0))
            return;
        st = FZ(qpm_amm_swap_v2(rc, ru, fee, side, a, &out[0], &out[1], &out[2]));
        if (st != QPM_OK) {
            fz_untouched(out, 3, "swap_v2 outputs");
            break;
        }
        fz_expect(FZ_AMM_SWAP, "swap_v2 outputs", out, 3, 1, 0);
        double rout = side == QPM_AMM_SELL_COIN ? ru : rc, P = ru / rc;
        if (out[0] > rout)
            fz_fail("swap_v2 pays %.17g of a reserve of %.17g", out[0], rout);
        if (side == QPM_AMM_SELL_COIN ? out[1] > P * (1 + 1e-15) : out[1] < P * (1 - 1e-15))
            fz_fail("swap_v2 moved the price from %.17g to %.17g against the trade", P, out[1]);
        hash = fz_hash(hash, out, sizeof out);
        break;
    }
    default: { /* v3 swap over up to 6 intervals */
        size_t n = fz_u8(in) < 250 ? fz_range(in, 1, 6) : 0;
        double b[7], L[6], g[6];
        b[0] = fz_real(in, 1e-3, 1e5);
        fz_fill(in, g, 6, 1e-3, 1.0);
        for (size_t k = 0; k < 6; k++)
            b[k + 1] = fz_u8(in) < 250 ? b[k] * (1 + g[k]) : fz_special(in);
        fz_fill(in, L, 6, 0, 1e7);
        double P = fz_u8(in) < 240 ? b[0] + (b[n > 0 ? n : 1] - b[0]) * fz_real(in, 0, 1)
                                   : fz_special(in);
        double fee = fz_u8(in) < 240 ? fz_real(in, 0, 0.05) : fz_special(in);
        uint8_t sb = fz_u8(in);
        qpm_amm_side side = (qpm_amm_side)(sb < 250 ? sb % 2 : (int)sb - 252);
        double a = fz_real(in, 1e-9, 1e8), out[3];
        size_t ticks = 12345;
        fz_poison(out, 3);
        i = fz_op(p, "amm swap_v3");
        if (fz_skip(p, i, 0))
            return;
        st = FZ(qpm_amm_swap_v3(n, b, L, P, fee, side, a, &out[0], &out[1], &out[2], &ticks));
        if (st != QPM_OK) {
            fz_untouched(out, 3, "swap_v3 outputs");
            if (ticks != 12345)
                fz_fail("swap_v3 wrote ticks_crossed on failure");
            break;
        }
        fz_expect(FZ_AMM_SWAP, "swap_v3 outputs", out, 3, 1, 0);
        if (out[1] < b[0] || out[1] > b[n])
            fz_fail("swap_v3 ended at %.17g outside [%.17g, %.17g]", out[1], b[0], b[n]);
        if (side == QPM_AMM_SELL_COIN ? out[1] > P : out[1] < P)
            fz_fail("swap_v3 moved the price from %.17g to %.17g against the trade", P, out[1]);
        if (ticks > n)
            fz_fail("swap_v3 crossed %zu of %zu intervals' bounds", ticks, n);
        hash = fz_hash(hash, out, sizeof out);
        hash = fz_hash(hash, &ticks, sizeof ticks);
        break;
    }
    }
    fz_end(p, i, st, hash);
}

static void run(fz_pass *p, void *vs, const uint8_t *data, size_t size)
{
    state *s = vs;
    fz_in in;
    fz_init(&in, data, size);
    fz_alloc_init(&s->fa);
    while (fz_more(&in) && p->ops < FZ_MAX_OPS)
        one_op(p, s, &in);
    fz_check_freed(&s->fa);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static state s;
    fz_two_passes(run, &s, sizeof s, data, size);
    return 0;
}
