/* Body of the characteristic function and the strike sums (sv_sum.h),
 * included once per build: the including file defines SV_SUM_FN and
 * SV_CF_FN, the functions' names.  Not a public header. */
#include "pricing/sv_sum.h"

/* No contraction of a * b + c into one FMA: every build gives the same
 * bits only without it (GCC contracts nothing in ISO C mode; clang does by
 * default) */
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#endif

#include "num/v4math.h"

static const v4d GL_OFF[4] = {
    {4.8307665687738316e-2, 1.4447196158279649e-1, 2.3928736225213707e-1, 3.3186860228212765e-1},
    {4.2135127613063535e-1, 5.0689990893222939e-1, 5.8771575724076233e-1, 6.630442669302152e-1},
    {7.3218211874028968e-1, 7.9448379596794241e-1, 8.4936761373256997e-1, 8.9632115576605212e-1},
    {9.3490607593773969e-1, 9.6476225558750643e-1, 9.8561151154526834e-1, 9.9726386184948156e-1}};

void SV_SUM_FN(const qpm__sv_sum_job *job)
{
    const qpm__sv_sum_job *b = job;
    double half = 0.5 * b->w;
    for (size_t i = 0; i < b->n; i++) {
        double k = b->kk != NULL ? b->kk[i] : log(b->F / b->K[i]);
        /* e^{+-i off_j k} at the 16 node offsets off_j of the first width */
        v4d rc[4], rs[4];
        for (int j = 0; j < 4; j++) {
            v4d ph = half * k * GL_OFF[j];
            v4_sincos(&ph, &rs[j], &rc[j]);
        }
        double ec, es, sc = 0.0, ss = 0.0;
        fast_sincos((b->a[0] + half) * k, &es, &ec);
        if (!b->graded)
            fast_sincos(b->w * k, &ss, &sc);
        _Alignas(32) double cq[SV_NB], sq[SV_NB];
        double hp = half;
        for (int p = 0; p < b->np; p++) {
            if (p > 0 && !b->graded) {
                /* the next midpoint: e^{i(mid + w)k} by one rotation (a
                 * few ulps over a block) */
                double t = ec * sc - es * ss;
                es = es * sc + ec * ss;
                ec = t;
            } else if (p > 0) {
                /* a graded panel: offsets 8 times the last ones, e^{8 i t}
                 * by three squarings (8 ulps more per panel), its midpoint
                 * directly */
                for (int r = 0; r < 3; r++)
                    for (int j = 0; j < 4; j++) {
                        v4d c = rc[j] * rc[j] - rs[j] * rs[j];
                        rs[j] = 2.0 * rc[j] * rs[j];
                        rc[j] = c;
                    }
                hp *= 8.0;
                fast_sincos((b->a[p] + hp) * k, &es, &ec);
            }
            /* e^{i(mid -+ off)k} = e^{i mid k} e^{-+i off k} */
            for (int j = 0; j < 4; j++) {
                v4d c0 = ec * rc[j] + es * rs[j], s0 = es * rc[j] - ec * rs[j];
                v4d c1 = ec * rc[j] - es * rs[j], s1 = es * rc[j] + ec * rs[j];
                int q = p * QPM__GL_N + 4 * j;
                memcpy(cq + q, &c0, sizeof c0);
                memcpy(sq + q, &s0, sizeof s0);
                memcpy(cq + q + 16, &c1, sizeof c1);
                memcpy(sq + q + 16, &s1, sizeof s1);
            }
        }
        /* each wanted integral as one sum, four nodes at a time in two
         * accumulators */
        int nq = b->np * QPM__GL_N;
        for (int a = 0; a < b->na; a++) {
            v4d s0 = {0.0, 0.0, 0.0, 0.0}, s1 = s0;
            for (int q = 0; q < nq; q += 8) {
                v4d c0, n0, r0, i0, c1, n1, r1, i1;
                v4_load(&c0, cq + q);
                v4_load(&n0, sq + q);
                v4_load(&r0, b->re + (size_t)a * b->ld + (size_t)q);
                v4_load(&i0, b->im + (size_t)a * b->ld + (size_t)q);
                v4_load(&c1, cq + q + 4);
                v4_load(&n1, sq + q + 4);
                v4_load(&r1, b->re + (size_t)a * b->ld + (size_t)q + 4);
                v4_load(&i1, b->im + (size_t)a * b->ld + (size_t)q + 4);
                s0 += c0 * r0 - n0 * i0;
                s1 += c1 * r1 - n1 * i1;
            }
            s0 += s1;
            b->acc[b->act[a]][i] += (s0[0] + s0[1]) + (s0[2] + s0[3]);
        }
    }
}

/* ln phi(x - i/2) and d ln phi / d v0 at four points, in the "little
 * trap" form of Albrecher et al. (2007) with the two differences that
 * cancel for small vol of vol or short expiries rewritten without the
 * cancellation (sv_cf.c explains each step) */
static inline __attribute__((always_inline)) void cf4(const qpm__sv *m, v4d x, c4 *lnphi, c4 *dv0)
{
    v4d zeta = x * x + 0.25;
    double T = m->T, s2 = m->sigma * m->sigma;
    c4 xi = c4_make(v4_set(m->kappa - 0.5 * m->sigma * m->rho), (-m->sigma * m->rho) * x);
    c4 w = c4_mul(xi, xi);
    w.r += s2 * zeta;
    c4 d = c4_sqrt(w);
    c4 xpd = c4_add(xi, d);
    c4 rxpd = c4_div(c4_make(v4_set(1.0), v4_set(0.0)), xpd);
    c4 zx = c4_scale(rxpd, zeta);                           /* -(xi - d) / sigma^2 */
    c4 g = c4_scale(c4_mul(zx, rxpd), v4_set(-s2));         /* (xi - d) / (xi + d) */
    c4 one_m_e = c4_neg(c4_expm1(c4_scale(d, v4_set(-T)))); /* 1 - e^{-dT} */
    c4 nzx = c4_neg(zx);
    c4 D = c4_div(c4_mul(nzx, one_m_e), c4_one_minus(c4_mul(g, c4_one_minus(one_m_e))));
    c4 zs = c4_div(c4_mul(c4_mul(nzx, rxpd), one_m_e), c4_one_minus(g));
    c4 z = c4_scale(zs, v4_set(s2));
    c4 lz = c4_log1p_over(z);
    c4 cb = c4_sub(c4_scale(nzx, v4_set(T)), c4_scale(c4_mul(lz, zs), v4_set(2.0)));
    c4 ln = c4_add(c4_scale(cb, v4_set(m->kappa * m->theta)), c4_scale(D, v4_set(m->v0)));
    if (m->lambda > 0.0) {
        /* lognormal jumps at u = x - i/2, compensated by kbar */
        double dj2 = m->delta_j * m->delta_j;
        c4 wj = c4_make((0.5 * m->mu_j + 0.125 * dj2) - (0.5 * dj2) * (x * x),
                        (m->mu_j + 0.5 * dj2) * x);
        double kbar = expm1(m->mu_j + 0.5 * dj2), lt = m->lambda * T;
        c4 ej = c4_scale(c4_expm1(wj), v4_set(lt));
        ln = c4_sub(c4_add(ln, ej), c4_make(v4_set(0.5 * lt * kbar), x * (lt * kbar)));
    }
    *lnphi = ln;
    *dv0 = D;
}

void SV_CF_FN(const qpm__sv *m, size_t nq, const double *x, const double *w, double *ore,
              double *oim, double *dre, double *dim)
{
    for (size_t q = 0; q < nq; q += 4) {
        v4d xv;
        v4_load(&xv, x + q);
        c4 l, D;
        cf4(m, xv, &l, &D);
        if (w != NULL) {
            v4d wv;
            v4_load(&wv, w + q);
            c4 phi = c4_exp(l);
            l = c4_scale(phi, wv);
        }
        memcpy(ore + q, &l.r, sizeof l.r);
        memcpy(oim + q, &l.i, sizeof l.i);
        if (dre != NULL) {
            memcpy(dre + q, &D.r, sizeof D.r);
            memcpy(dim + q, &D.i, sizeof D.i);
        }
    }
}
