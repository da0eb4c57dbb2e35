/* Body of the strike sums (sv_sum.h), included once per build: the
 * including file defines SV_SUM_FN, the function's name.  Not a public
 * header. */
#include "pricing/sv_sum.h"

/* Four doubles as one value (GCC and clang vector extensions): the strike
 * loop below works on four nodes at a time, in whatever vector registers
 * the target has (two SSE2 registers on baseline x86-64). */
typedef double v4d __attribute__((vector_size(32)));
typedef long long v4i __attribute__((vector_size(32)));

/* (functions take and give v4d through pointers: a 32-byte vector passed
 * by value has another ABI with AVX than without) */
static inline void v4_load(v4d *v, const double *p)
{
    memcpy(v, p, sizeof *v);
}

/* fast_sincos on four arguments, each within its range: the nearest
 * integer to x 2/pi by adding and subtracting 1.5 2^52 (round to nearest,
 * as nearbyint), its low bits the quadrant; the same kernels */
static inline void v4_sincos(const v4d *xp, v4d *sn, v4d *cs)
{
    v4d x = *xp;
    const v4d INVPIO2 = {6.36619772367581382433e-01, 6.36619772367581382433e-01,
                         6.36619772367581382433e-01, 6.36619772367581382433e-01};
    const double M = 0x1.8p52, P1 = 1.57079632673412561417e+00, P2 = 6.07710050630396597660e-11,
                 P2T = 2.02226624879595063154e-21;
    v4d t = x * INVPIO2 + M;
    v4i n;
    memcpy(&n, &t, sizeof n);
    v4d fn = t - M;
    v4d y = ((x - fn * P1) - fn * P2) - fn * P2T;
    v4d z = y * y, v = z * y;
    v4d sv = y + v * (-1.66666666666666324348e-01 +
                      z * (8.33333333332248946124e-03 +
                           z * (-1.98412698298579493134e-04 +
                                z * (2.75573137070700676789e-06 +
                                     z * (-2.50507602534068634195e-08 +
                                          z * 1.58969099521155010221e-10)))));
    v4d r = z * (4.16666666666666019037e-02 +
                 z * (-1.38888888888741095749e-03 +
                      z * (2.48015872894767294178e-05 +
                           z * (-2.75573143513906633035e-07 +
                                z * (2.08757232129817482790e-09 +
                                     z * -1.13596475577881948265e-11)))));
    v4d hz = 0.5 * z, w = 1.0 - hz;
    v4d cv = w + (((1.0 - w) - hz) + z * r);
    /* quadrant q: sin = (s, c, -s, -c)[q], cos = (c, -s, -c, s)[q] */
    v4i swap = -(n & 1), si, ci;
    memcpy(&si, &sv, sizeof si);
    memcpy(&ci, &cv, sizeof ci);
    v4i so = (si & ~swap) | (ci & swap), co = (ci & ~swap) | (si & swap);
    so ^= (n & 2) << 62;
    co ^= ((n + 1) & 2) << 62;
    memcpy(sn, &so, sizeof so);
    memcpy(cs, &co, sizeof co);
}

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
        /* e^{+-i off_j k} at the 16 node offsets off_j of this width */
        v4d rc[4], rs[4];
        for (int j = 0; j < 4; j++) {
            v4d ph = half * k * GL_OFF[j];
            v4_sincos(&ph, &rs[j], &rc[j]);
        }
        double ec, es, sc, ss;
        fast_sincos((b->a0 + half) * k, &es, &ec);
        fast_sincos(b->w * k, &ss, &sc);
        _Alignas(32) double cq[SV_NB], sq[SV_NB];
        for (int p = 0; p < b->np; p++) {
            if (p > 0) {
                /* the next midpoint: e^{i(mid + w)k} by one rotation (a
                 * few ulps over a block) */
                double t = ec * sc - es * ss;
                es = es * sc + ec * ss;
                ec = t;
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

