/* Body of the vector Black kernels, included by black_avx2.c and
 * black_avx512.c after each has defined LANES, its type V of LANES lanes, its
 * lane-mask type M and the operations on them (vadd, vmul, vfma, vfnma, vsel,
 * vgt, vmask, mor, mandnot, vnotnormal, vexp8, vexpneg8_in, vlog8, vmills8,
 * ...; comparisons give an M: all-ones lanes for AVX2, mask registers for
 * AVX-512), and the non-finite accumulator NF with nf_init, nf_add (one
 * stored vector) and nf_lanes (the lanes that met an infinity or NaN).  The operations follow black_one() in black.c one for one, except
 * where a product and a sum are fused into one FMA (one rounding fewer: the
 * density's correction factor, x, and the out-of-the-money difference).  Not
 * a public header; it defines static functions in the file that includes it. */
#ifndef QPM_PRICING_BLACK_LANES_H
#define QPM_PRICING_BLACK_LANES_H

#include "mills.h"

/* The scalar kernel's npdf_dd with its correction factor 1 - e/2,
 * e = (ah^2 - p) + 2 ah al, fused into two FMAs: 1 - (ah^2 - p)/2 - ah al. */
static inline V vnpdf_dd(V ah, V al)
{
    V p = vmul(ah, ah);
    V corr = vfnma(ah, al, vfnma(vset(0.5), vfms(ah, ah, p), vset(1.0)));
    V ex = vexp8_neg(vmul(vset(-0.5), p)); /* argument <= 0 */
    return vmul(vmul(vset(QPM__RSQRT2PI), ex), corr);
}

/* Output groups a block computes only when asked for. */
#define NEED(o) (1u << (o))

/* block8's verdict: -1 when the results went straight to the outputs and
 * no lane needs the scalar path (the common case); else the mask of lanes
 * the scalar path must redo (the special regions, and lanes with a wanted
 * output that came out infinite or NaN: an intermediate left the double
 * range), with DIRECT set when the results went to the outputs rather than
 * to tmp. */
#define DIRECT (1 << 30)

/* LANES options; returns the verdict above.  The operations mirror
 * black_one() in black.c (see the note at the top).  With defer, lanes whose
 * Black terms nearly cancel keep the fast values and their mask goes to
 * *hard_out, for flush_hard; without, they get the careful values here. */
static inline __attribute__((always_inline)) int
block8(int model, int inverse, unsigned need, V u, V K, V T, V r, V q, V sig, V phi, int uniform,
       V D, V Dq, V DqD, double *const *out, size_t i, int full, double tmp[QPM__NOUT][LANES],
       int defer, M *hard_out)
{
    const V zero = vset(0.0), one = vset(1.0), half = vset(0.5);
    V S = u, F, x;
    V rS = vdiv(one, S);
    V qt = vdiv(S, K);
    V rem = vfma(vneg(qt), K, S);
    /* The log heads the longest dependency chain: issue it first, then the
     * independent discount factors, which fill its latency. */
    V lq = vlog8(qt);
    if (!uniform) {
        /* |r T|, |q T| <= QPM__MAX_RT: no clamping */
        D = vexpneg8_in(vmul(r, T));
        Dq = model == QPM__BSM ? vexpneg8_in(vmul(q, T)) : D;
        DqD = model == QPM__BSM ? vdiv(Dq, D) : D;
    }
    if (model == QPM__BSM) {
        x = vfma(vsub(r, q), T, vfma(rem, rS, lq));
        F = vmul(S, DqD);
    } else {
        q = r;
        x = vfma(rem, rS, lq);
        F = S;
    }
    V sqrtT = vsqrt8(T), s = vmul(sig, sqrtT);
    V y = vabs8(x);
    /* F - K without cancellation, off the critical path: it needs x only */
    V fk = vsub(F, K);
    if (model == QPM__BSM && vmask(vlt(y, one)) != 0)
        fk = vsel(vlt(y, one), vmul(K, vexpm1_8(x)), fk);
    M special = mor(vngt(s, zero), vgt(y, vmul(vset(1e10), s)));
    /* S/K or the forward out of the normal range: the scalar path takes logs
     * separately, or recomputes carefully */
    special = mor(special, mor(vnotnormal(qt), vnotnormal(F)));
    /* Lanes for the scalar path are known here: write straight to the
     * outputs when there are none, else to tmp for patching. */
    int smask = vmask(special);
    int direct = smask == 0 && full;
    /* lanes with a stored output infinite or NaN (an intermediate left the
     * double range): the including file's accumulator, see nf_add */
    NF nfacc = nf_init();
#define PUT(o, v)                                                                          \
    do {                                                                                   \
        if (need & NEED(o)) {                                                              \
            V put_v_ = (v);                                                                \
            vstore(direct ? out[o] + i : tmp[o], put_v_);                                  \
            nfacc = nf_add(nfacc, put_v_);                                                 \
        }                                                                                  \
    } while (0)
    V rs = vdiv(one, s);
    V m = vmul(y, rs), t = vmul(half, s);
    V a1 = vsub(m, t), a1e = vtwo_diff_err(m, t, a1);
    V a2 = vadd(m, t);
    M xpos = vgt(x, zero);
    V small = vsel(xpos, K, F), big = vsel(xpos, F, K);
    V n1 = vnpdf_dd(a1, a1e);
    V n2 = vmul(n1, vdiv(small, big));
    V p1 = vmul(n1, vmills8(vabs8(a1)));
    V p2 = vmul(n2, vmills8(a2));
    M a1pos = vge(a1, zero);
    V P1 = vsel(a1pos, p1, vsub(one, p1));
    V A1 = vsel(a1pos, vsub(one, p1), p1);
    V first = vmul(small, P1);
    V otm = vfnma(big, p2, first);
    M hard = mandnot(special, vngt(vmul(otm, vset(QPM__LMAX)), first));
    if (defer) {
        /* the caller redoes these lanes later (flush_hard); the values
         * computed here for them are overwritten */
        *hard_out = hard;
    } else if (vmask(hard) != 0) {
        int hmask = vmask(hard);
        /* Rare: the two Black terms cancel; take the Mills-ratio difference
         * lane by lane, exactly as the scalar path does. */
        double a1v[LANES], sv[LANES], dv[LANES];
        vstore(a1v, a1);
        vstore(sv, s);
        for (int j = 0; j < LANES; j++)
            dv[j] = hmask & (1 << j) ? mills_diff(a1v[j], sv[j]) : 0.0;
        otm = vsel(hard, vmul(vmul(small, n1), vload(dv, 1, 0)), otm);
    }

    V Nd1 = vsel(xpos, vsub(one, p2), P1);
    V Nmd1 = vsel(xpos, p2, A1);
    V nd1 = vsel(xpos, n2, n1);
    M call = vgt(phi, zero);
    V Nphid1 = vsel(call, Nd1, Nmd1);
    /* Values only some outputs use are formed where they are used (the
     * need mask is known only at run time, and the compiler does not sink
     * them itself): the same operations, so the same results. */
#define NPHID2 vsel(call, vsel(xpos, A1, p2), vsel(xpos, P1, vsub(one, p2)))
#define RSQT vmul(sig, rs)
    V intrinsic = vsel(vgt(vmul(phi, x), zero), vmul(phi, fk), zero);
    V Vu = vmul(D, vadd(intrinsic, otm));
    V delta = vmul(vmul(phi, Dq), Nphid1);
    V dens = vmul(Dq, nd1);
    V vega = vmul(vmul(S, dens), sqrtT);
    PUT(QPM__O_DELTA, delta);
    PUT(QPM__O_VEGA, vega);
    if (need & NEED(QPM__O_GAMMA))
        PUT(QPM__O_GAMMA, vmul(vmul(dens, rs), rS));
    if (need & NEED(QPM__O_THETA))
        PUT(QPM__O_THETA, vsub(vsub(vmul(r, Vu), vmul(vmul(S, dens), vmul(vmul(half, sig), RSQT))),
                               vmul(vmul(vsub(r, q), S), delta)));
    if (model == QPM__BSM) {
        if (need & NEED(QPM__O_RHO))
            PUT(QPM__O_RHO, vmul(vmul(vmul(vmul(phi, K), T), D), NPHID2));
        if (need & NEED(QPM__O_RHO_Q))
            PUT(QPM__O_RHO_Q, vmul(vmul(vmul(vmul(vneg(phi), S), T), Dq), Nphid1));
    } else {
        PUT(QPM__O_RHO, vmul(vneg(T), Vu));
        PUT(QPM__O_RHO_Q, zero);
    }
    if (need & (NEED(QPM__O_VANNA) | NEED(QPM__O_VOLGA) | NEED(QPM__O_CHARM))) {
        V d2 = vsel(xpos, a1, vneg(a2));
        V rsig = vmul(sqrtT, rs);
        if (need & NEED(QPM__O_VANNA))
            PUT(QPM__O_VANNA, vmul(vmul(vneg(dens), d2), rsig));
        if (need & NEED(QPM__O_VOLGA)) {
            V d1 = vsel(xpos, a2, vneg(a1));
            PUT(QPM__O_VOLGA, vmul(vmul(vmul(vega, d1), d2), rsig));
        }
        if (need & NEED(QPM__O_CHARM)) {
            V rsqT = RSQT;
            V br = vsub(vmul(vsub(r, q), rs), vmul(vmul(half, d2), vmul(rsqT, rsqT)));
            PUT(QPM__O_CHARM, vsub(vmul(q, delta), vmul(dens, br)));
        }
    }
    PUT(QPM__O_PRICE_USD, Vu);
    if (inverse) {
        V rF = model == QPM__BSM ? vdiv(one, F) : rS;
        PUT(QPM__O_PRICE, vmul(Vu, rF));
        if (need & NEED(QPM__O_DELTA_COIN))
            PUT(QPM__O_DELTA_COIN, vmul(vmul(vmul(phi, D), vmul(K, rF)), NPHID2));
    } else {
        PUT(QPM__O_PRICE, Vu);
        PUT(QPM__O_DELTA_COIN, vmul(vmul(phi, D), Nphid1));
    }
#undef PUT
#undef NPHID2
#undef RSQT
    int nfm = vmask(nf_lanes(nfacc));
    if (__builtin_expect(nfm != 0, 0)) {
        M redo = mor(special, nf_lanes(nfacc));
        if (defer)
            redo = mandnot(*hard_out, redo); /* redone by flush_hard */
        int mask = vmask(redo);
        return direct ? (mask != 0 ? mask | DIRECT : -1) : mask;
    }
    return direct ? -1 : smask;
}

/* Loads LANES elements by index (strides as in the job): idx[0 .. cnt-1],
 * the last one repeated in the remaining lanes, so that each lane computes
 * exactly what it would in a full block (every operation is lane-wise). */
static inline void gather(const qpm__bjob *job, const size_t *idx, size_t cnt, V *u, V *K, V *T,
                          V *r, V *q, V *sig, V *phi)
{
    double bu[LANES], bk[LANES], bt[LANES], br[LANES], bq[LANES], bs[LANES];
    int32_t bty[LANES];
    for (size_t j = 0; j < LANES; j++) {
        size_t e = idx[j < cnt ? j : cnt - 1];
        bu[j] = job->u[e * job->su];
        bk[j] = job->k[e * job->sk];
        bt[j] = job->t[e * job->st];
        br[j] = job->r[e * job->sr];
        bq[j] = job->q[e * job->sq];
        bs[j] = job->sig[e * job->ssig];
        bty[j] = job->type[e * job->stype];
    }
    *u = vload(bu, 1, 0), *K = vload(bk, 1, 0), *T = vload(bt, 1, 0);
    *r = vload(br, 1, 0), *q = vload(bq, 1, 0), *sig = vload(bs, 1, 0);
    *phi = vload_phi(bty, 1, 0);
}

/* Element e by the scalar path into res; lowers *bad to e when a wanted
 * output is beyond the range of double. */
static inline void scalar_one(const qpm__bjob *job, int model, int inverse, unsigned need,
                              size_t e, double res[QPM__NOUT], size_t *bad)
{
    unsigned b = qpm__price_one(model, inverse, job->u[e * job->su], job->k[e * job->sk],
                                job->t[e * job->st], job->r[e * job->sr], job->q[e * job->sq],
                                job->sig[e * job->ssig], job->type[e * job->stype], res);
    if ((b & need) && e < *bad)
        *bad = e;
}

/* The rare lanes of block i (nv elements) that the scalar path redoes, per
 * block8's verdict `special`, and the copy of tmp to the outputs when the
 * block went there.  Returns the first element with a wanted output beyond
 * the range of double, or SIZE_MAX.  Inline, and the first bad index is
 * returned rather than stored through a pointer: either an out-of-line call
 * or an address-taken counter in the vector loop made GCC keep the loop's
 * vector values in memory, 30 % slower (bench_pricing, AVX-512). */
static inline __attribute__((always_inline)) size_t
patch(const qpm__bjob *job, int model, int inverse, unsigned need, size_t i, size_t nv,
      int special, double tmp[QPM__NOUT][LANES])
{
    double *const *out = job->out;
    int direct = (special & DIRECT) != 0;
    size_t bad = SIZE_MAX;
    for (size_t j = 0; j < nv; j++) {
        if (special & (1 << j)) {
            double one[QPM__NOUT];
            scalar_one(job, model, inverse, need, i + j, one, &bad);
            for (int o = 0; o < QPM__NOUT; o++) {
                if (!direct)
                    tmp[o][j] = one[o];
                else if (out[o] != NULL)
                    out[o][i + j] = one[o];
            }
        }
        if (!direct)
            for (int o = 0; o < QPM__NOUT; o++)
                if (out[o] != NULL)
                    out[o][i + j] = tmp[o][j];
    }
    return bad;
}

/* Writes lanes 0 .. cnt-1 of a block computed into tmp to elements idx[j];
 * lanes in `special` come from the scalar path.  Returns the first element
 * with a wanted output beyond the range of double, or SIZE_MAX. */
static inline size_t scatter(const qpm__bjob *job, int model, int inverse, unsigned need,
                             const size_t *idx, size_t cnt, int special,
                             double tmp[QPM__NOUT][LANES])
{
    double *const *out = job->out;
    size_t bad = SIZE_MAX;
    for (size_t j = 0; j < cnt; j++) {
        size_t e = idx[j];
        if (special & (1 << j)) {
            double one[QPM__NOUT];
            scalar_one(job, model, inverse, need, e, one, &bad);
            for (int o = 0; o < QPM__NOUT; o++)
                tmp[o][j] = one[o];
        }
        for (int o = 0; o < QPM__NOUT; o++)
            if (out[o] != NULL)
                out[o][e] = tmp[o][j];
    }
    return bad;
}

/* Elements whose two Black terms nearly cancel (about 1 % of typical
 * batches) need the Mills-ratio difference, a scalar loop.  The vector loop
 * only records their indices (a compare and a compressed store, no branch
 * per block) and finishes its block with the fast values; this redoes the
 * recorded elements LANES at a time with that careful path and overwrites
 * their outputs.  Every operation is lane-wise, so each element gets exactly
 * the values an in-place careful pass would give it. */
static inline __attribute__((always_inline)) size_t
flush_hard(const qpm__bjob *job, int model, int inverse, unsigned need, int uniform, V D, V Dq,
           V DqD, const size_t *idx, size_t cnt)
{
    size_t bad = SIZE_MAX;
    for (size_t k = 0; k < cnt; k += LANES) {
        size_t c = cnt - k < LANES ? cnt - k : LANES;
        V u, K, T, r, q, sig, phi;
        gather(job, idx + k, c, &u, &K, &T, &r, &q, &sig, &phi);
        double tmp[QPM__NOUT][LANES];
        int special = block8(model, inverse, need, u, K, T, r, q, sig, phi, uniform, D, Dq, DqD,
                             job->out, 0, 0, tmp, 0, NULL);
        size_t b = scatter(job, model, inverse, need, idx + k, c, special, tmp); /* never DIRECT */
        bad = b < bad ? b : bad;
    }
    return bad;
}

/* QPM__DEFER_HARD: the including file defines vdefer(M h, int valid, size_t
 * i, size_t *buf, int c), which appends i + j for the lanes j of h set in
 * `valid` to buf[c ..] (room for LANES more) and returns the new count.  The
 * AVX2 kernel keeps the careful path in place: with eight lanes fewer blocks
 * hold such an element, and the extra pass cost more than it saved there. */
#ifndef QPM__DEFER_HARD
#define QPM__DEFER_HARD 0
#endif

static inline __attribute__((always_inline)) size_t run(const qpm__bjob *job, size_t begin,
                                                        size_t end, int model, int inverse)
{
    size_t bad = SIZE_MAX;
    const int uniform = job->st == 0 && job->sr == 0 && job->sq == 0;
    V Dpre = vset(0.0), Dqpre = Dpre, DqDpre = Dpre;
    if (uniform) {
        double T = job->t[0], r = job->r[0], q = model == QPM__BSM ? job->q[0] : job->r[0];
        Dpre = vexp8(vset(-r * T));
        Dqpre = model == QPM__BSM ? vexp8(vset(-q * T)) : Dpre;
        DqDpre = vdiv(Dqpre, Dpre);
    }
    double *const *out = job->out;
    unsigned need = qpm__bjob_need(job);
    /* indices of the elements for the careful path, flushed at LANES */
    size_t pend[3 * LANES];
    int npend = 0;
    for (size_t i = begin; i < end; i += LANES) {
        size_t nv = end - i < LANES ? end - i : LANES;
        V u, K, T, r, q, sig, phi;
        if (nv == LANES) {
            u = vload(job->u, job->su, i);
            K = vload(job->k, job->sk, i);
            T = vload(job->t, job->st, i);
            r = vload(job->r, job->sr, i);
            q = vload(job->q, job->sq, i);
            sig = vload(job->sig, job->ssig, i);
            phi = vload_phi(job->type, job->stype, i);
        } else {
            /* Tail: pad with copies of the last element, so that each lane
             * computes exactly what a full block would. */
            double bu[LANES], bk[LANES], bt[LANES], br[LANES], bq[LANES], bs[LANES];
            int32_t bty[LANES];
            for (size_t j = 0; j < LANES; j++) {
                size_t e = i + (j < nv ? j : nv - 1);
                bu[j] = job->u[e * job->su];
                bk[j] = job->k[e * job->sk];
                bt[j] = job->t[e * job->st];
                br[j] = job->r[e * job->sr];
                bq[j] = job->q[e * job->sq];
                bs[j] = job->sig[e * job->ssig];
                bty[j] = job->type[e * job->stype];
            }
            u = vload(bu, 1, 0), K = vload(bk, 1, 0), T = vload(bt, 1, 0);
            r = vload(br, 1, 0), q = vload(bq, 1, 0), sig = vload(bs, 1, 0);
            phi = vload_phi(bty, 1, 0);
        }
        double tmp[QPM__NOUT][LANES];
        M hard;
        int special = block8(model, inverse, need, u, K, T, r, q, sig, phi, uniform, Dpre, Dqpre,
                             DqDpre, out, i, nv == LANES, tmp, QPM__DEFER_HARD, &hard);
        if (special >= 0) {
            size_t b = patch(job, model, inverse, need, i, nv, special, tmp);
            bad = b < bad ? b : bad;
        }
#if QPM__DEFER_HARD
        npend = vdefer(hard, (int)((1u << nv) - 1u), i, pend, npend);
        /* one call site, so that the careful pass is inlined once */
        if (npend >= LANES || (npend > 0 && i + LANES >= end)) {
            size_t b = flush_hard(job, model, inverse, need, uniform, Dpre, Dqpre, DqDpre, pend,
                                  (size_t)npend);
            bad = b < bad ? b : bad;
            npend = 0;
        }
#else
        (void)hard;
        (void)npend;
        (void)pend;
#endif
    }
    return bad;
}

#endif /* QPM_PRICING_BLACK_LANES_H */
