/* Body of rng_zig.c's ziggurat finish for one generator type: the
 * including file defines ZG_T (the generator's working copy), ZG_STEP(w)
 * (its next 64-bit output) and ZG(name) (the name of a function for it);
 * undefined at the end.  No include guard: one
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

#undef ZG_T
#undef ZG_STEP
#undef ZG
