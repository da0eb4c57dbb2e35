/* Body of rng_zig.c's samplers for one generator type: the including file
 * defines ZG_T (the generator's working copy), ZG_STEP(w) (its next 64-bit
 * output), ZG(name) (the name of a function for it) and ZG_NORMAL (its
 * qpm__zig_normal); undefined at the end.  No include guard: one
 * inclusion per generator.  Not a public header. */

/* 53 random bits of one output, as a double in (0, 1) (0 redrawn) */
static double ZG(open53)(ZG_T *w)
{
    uint64_t k;
    do
        k = ZG_STEP(w) >> 11;
    while (k == 0);
    return (double)k * 0x1.0p-53;
}

double ZG(qpm__zig_finish)(ZG_T *w, uint64_t b)
{
    for (;;) {
        unsigned i = (unsigned)(b & (QPM__ZIG_N - 1u));
        uint64_t j = b >> 11;
        int neg = (int)((b >> QPM__ZIG_BITS) & 1u);
        double x = (double)j * qpm__zig_kw[i].w;
        if (j < qpm__zig_kw[i].k)
            return neg ? -x : x;
        if (i == 0) {
            /* the tail beyond r: x = r + e1 / r with e1, e2 exponential,
             * accepted when 2 e2 > (e1 / r)^2 */
            const double r = qpm__zig_r;
            for (;;) {
                double xt = -log(ZG(open53)(w)) / r;
                double yt = -log(ZG(open53)(w));
                if (yt + yt > xt * xt)
                    return neg ? -(r + xt) : r + xt;
            }
        }
        /* the wedge of layer i: a height uniform between the layer's
         * bottom f(x[i]) and top f(x[i+1]), below the density or not */
        double u = (double)(ZG_STEP(w) >> 11) * 0x1.0p-53;
        double y = qpm__zig_f[i] + u * (qpm__zig_f[i + 1] - qpm__zig_f[i]);
        if (y < lane_exp(-0.5 * x * x))
            return neg ? -x : x;
        b = ZG_STEP(w);
    }
}

/* the tests of a proposal: 1 with *g set when accepted */
static int ZG(mt_tests)(ZG_T *w, double d, double x, double cx, double v, uint64_t k, double *g)
{
    while (k == 0)
        k = ZG_STEP(w) >> 11;
    double u = (double)k * 0x1.0p-53;
    double x2 = x * x;
    if (u < 1.0 - 0.0331 * x2 * x2 || v4_log_1(u) < 0.5 * x2 + d * log_term(cx, v)) {
        *g = d * v;
        return 1;
    }
    return 0;
}

double ZG(qpm__gamma_zig)(ZG_T *w, const qpm__gamma_par *gp)
{
    for (;;) {
        double x = ZG_NORMAL(w);
        double cx = gp->c * x;
        if (cx <= -1.0)
            continue;
        double v = (1.0 + cx) * (1.0 + cx) * (1.0 + cx);
        double g;
        if (ZG(mt_tests)(w, gp->d, x, cx, v, ZG_STEP(w) >> 11, &g))
            return g;
    }
}

double ZG(qpm__gamma_zig_after)(ZG_T *w, const qpm__gamma_par *gp, double x, double cx, double v,
                                uint64_t k)
{
    double g;
    if (ZG(mt_tests)(w, gp->d, x, cx, v, k, &g))
        return g;
    return ZG(qpm__gamma_zig)(w, gp);
}

#undef ZG_T
#undef ZG_STEP
#undef ZG
#undef ZG_NORMAL
