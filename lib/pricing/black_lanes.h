/* Body of the vector Black kernels (black_avx2.c, black_avx512.c), written
 * once against the width-generic names of num/simd_names.h and included
 * once per width (black_widths.h): two registers per step for batches, one
 * register for batches of at most one register's lanes (a single option
 * costs one register's work and no buffer copies).  Every operation is
 * lane-wise, so an option gets the same bits at either width, alone or in a
 * batch; black_lane.c includes it for one lane.
 *
 * The including file sets, before each inclusion: the width (QPM_SIMD_X2
 * and num/simd_names.h), KF(name), a per-width suffix for the functions
 * defined here, and vmills, its member of the Mills-ratio family; for
 * QPM__DEFER_HARD, also vdefer (see there).
 *
 * The operations follow black_w() in black.c one for one, except where a
 * product and a sum are fused into one FMA (one rounding fewer: the
 * density's correction factor, x, and the out-of-the-money difference), and
 * in the discounting: the forward grows by e^{(r-q)T}, whose evaluation also
 * gives e^{(r-q)T} - 1 for F - K, and e^{-qT} is e^{-rT} e^{(r-q)T} (two
 * exponentials where black_w takes three and an expm1; one where q = 0,
 * with e^{rT} = 1/e^{-rT}, the scalar forward's factor; see discount()).
 * Not a public header; it defines static functions in the file that
 * includes it. */

/* ---- parts that do not depend on the width (once) ------------------------- */
#ifndef QPM_PRICING_BLACK_LANES_ONCE
#define QPM_PRICING_BLACK_LANES_ONCE

#include "black.h"
#include "num/mills.h"

/* phi of a single option's type in every lane, by phi_of's select:
 * written as `type > 0 ? 1.0 : -1.0` the compiler makes it a branch, which
 * a single option's type (as likely either way) mispredicts; that cost a
 * one-option call 3-5 ns.  (A batch's shared type and its tail's last one
 * keep the branch: once per call, and as a select gcc 12 scheduled the
 * AVX2 batch 1.4 % slower.)  A macro, not a function: through one more
 * inlined call gcc 12 scheduled the single-option code 2 % slower. */
#define PHI_ONE(type) KF(phi_of)(vset((double)(type)))

/* Output groups a block computes only when asked for. */
#define NEED(o) (1u << (o))

/* block's verdict: -1 when the results went straight to the outputs and no
 * lane needs the scalar path (the common case); else the mask of lanes the
 * scalar path must redo (the special regions, and lanes with a wanted
 * output that came out infinite or NaN: an intermediate left the double
 * range), with DIRECT set when the results went to the outputs rather than
 * to tmp. */
#define DIRECT (1 << 30)

/* Element e by the scalar path into res; lowers *bad to e when a wanted
 * output is beyond the range of double. */
#ifndef QPM__PRICE_ONE
#define QPM__PRICE_ONE qpm__price_one_fma /* the x86 kernels: black.c's FMA build */
#endif
static inline void scalar_one(const qpm__bjob *job, int model, int inverse, unsigned need,
                              size_t e, double res[QPM__NOUT], size_t *bad)
{
    unsigned b = QPM__PRICE_ONE(model, inverse, job->u[e * job->su], job->k[e * job->sk],
                                job->t[e * job->st], job->r[e * job->sr], job->q[e * job->sq],
                                job->sig[e * job->ssig], job->type[e * job->stype], res);
    if ((b & need) && e < *bad)
        *bad = e;
}

/* QPM__DEFER_HARD: the including file defines vdefer(M h, int valid,
 * size_t i, size_t *buf, int c) for each width, which appends i + j for the
 * lanes j of h set in `valid` to buf[c ..] (room for LANES more) and returns
 * the new count.  Both vector kernels defer (the one-lane code keeps the
 * careful path in place): the careful pass then runs the Mills-ratio
 * difference on whole registers of such elements, where in place most
 * blocks hold one. */
#ifndef QPM__DEFER_HARD
#define QPM__DEFER_HARD 0
#endif
/* flush_hard's linkage: inlined at its one call site in each loop (the
 * AVX-512 kernel: out of line, its loop lost 4 % to 5 % with gcc 12), or,
 * where the including file says so, out of line (the AVX2 kernel: a third
 * of the compile time, within 1 % of the speed) */
#ifndef QPM__FLUSH_FN
#define QPM__FLUSH_FN static inline __attribute__((always_inline))
#endif

/* npdf_dd's linkage: the vector kernels inline it as it is; the portable
 * build (black_c.c) forces it, which gcc 12 otherwise keeps out of line
 * there (a call per step, with its spills: 15-20 % of that kernel's time) */
#ifndef QPM__NPDF_INLINE
#define QPM__NPDF_INLINE inline
#endif

#endif /* QPM_PRICING_BLACK_LANES_ONCE */

/* ---- per width ---------------------------------------------------------------- */

/* The scalar kernel's npdf_dd with its correction factor 1 - e/2,
 * e = (ah^2 - p) + 2 ah al, fused into two FMAs: 1 - (ah^2 - p)/2 - ah al. */
static QPM__NPDF_INLINE V KF(npdf_dd)(V ah, V al)
{
    V p = vmul(ah, ah);
    V corr = vfnma(ah, al, vfnma(vset(0.5), vfms(ah, ah, p), vset(1.0)));
    V ex = vexp_neg(vmul(vset(-0.5), p)); /* argument <= 0 */
    return vmul(vmul(vset(QPM__RSQRT2PI), ex), corr);
}

/* qpm__two_sum_err(a, -b, s) for s = a - b, without forming -b (the same
 * result: (-b) - bb = -(b + bb) exactly as rounded) */
static inline V KF(two_diff_err)(V a, V b, V s)
{
    V bb = vsub(s, a);
    return vsub(vsub(a, vsub(s, bb)), vadd(b, bb));
}

/* The discount factors of a block and the forward's growth: D = e^{-rT};
 * for BSM, with g = (r - q) T, E = e^g (F = S E) and em1 = e^g - 1 (for |g|
 * < 1 from the reduction of e^g, as qv_expm1_small gives it, else E - 1);
 * in lanes with q = 0, where g = rT, E = 1/D and em1 = -(e^{-g} - 1) E from
 * D's own reduction, one exponential instead of two (a register with no
 * such lane skips it, one with only such lanes skips the second); the
 * block forms e^{-qT} as D E, exactly 1 where q = 0.  Returns the mask
 * of the lanes with |g| > QPM__MAX_RT, where D E may be more than one
 * rounding from e^{-qT} (the block sends them to the scalar path).
 * Black-76: E = 1, em1 = 0.  The uniform path calls it on broadcast values:
 * the same bits as a lane's own. */
static inline __attribute__((always_inline)) M KF(discount)(int model, V r, V q, V T, V *D, V *E,
                                                            V *em1)
{
    if (model != QPM__BSM) {
        *D = vexpneg_in(vmul(r, T));
        *E = vset(1.0), *em1 = vzero();
        return mnone();
    }
    V g = vmul(vsub(r, q), T), m1, E0 = vzero(), em10 = vzero();
    M small_g = vlt(vabs(g), vset(1.0)), far = vgt(vabs(g), vset(QPM__MAX_RT));
    M qn = vneq(q, vzero());
    int qnz = mbits(qn), all = (int)((1u << LANES) - 1u);
    if (qnz == all) { /* a yield in every lane: as before */
        *D = vexpneg_in(vmul(r, T));
    } else {
        /* Lanes with q = 0: g = rT, so e^g = 1/D (the scalar kernel's
         * forward S (1/D)), and e^g - 1 = -(e^{-g} - 1) e^g from D's own
         * reduction (no cancellation) instead of a second exponential.
         * D has the bits of vexpneg_in (vexp_em1 gives qv_exp_in's). */
        V dm1;
        *D = vexp_em1(vneg(vmul(r, T)), &dm1);
        E0 = vdiv(vset(1.0), *D);
        em10 = vsel(small_g, vmul(vneg(dm1), E0), vsub(E0, vset(1.0)));
        if (qnz == 0) {
            *E = E0, *em1 = em10;
            return far;
        }
    }
    *E = vexp_em1(vmin(vmax(g, vset(-1100.0)), vset(709.78)), &m1);
    *em1 = vsel(small_g, m1, vsub(*E, vset(1.0)));
    if (qnz != all) { /* some lanes without a yield: theirs, lane by lane */
        M qz = mandnot(qn, mall());
        *E = vsel(qz, E0, *E), *em1 = vsel(qz, em10, *em1);
    }
    return far;
}

/* phi = +1 for a call (type > 0), -1 for a put */
static inline V KF(phi_of)(V type) { return vsel(vgt(type, vzero()), vset(1.0), vset(-1.0)); }

/* LANES options, elements i .. i + nv - 1; returns the verdict above.  The
 * operations mirror black_w() in black.c (see the note at the top).
 * With store == 0 (flush_hard) the results go to tmp only; with store ==
 * 2 (the single-option entry) straight to the outputs whatever the lanes,
 * and the verdict is -1 or 0 (the caller redoes the option).  With defer,
 * lanes whose Black terms nearly cancel keep the fast values and their mask
 * goes to *hard_out, for flush_hard; without, they get the careful values
 * here. */
static inline __attribute__((always_inline)) int
KF(block)(int model, int inverse, unsigned need, V u, V K, V T, V r, V q, V sig, V phi, int uniform,
          V D, V E, V em1, double *const *out, size_t i, size_t nv, int store,
          double tmp[QPM__NOUT][LANES], int defer, M *hard_out)
{
    const V zero = vset(0.0), one = vset(1.0), half = vset(0.5);
    V S = u, F, x;
    V rS = vdiv(one, S);
    V qt = vdiv(S, K);
    V rem = vfma(vneg(qt), K, S);
    /* The log heads the longest dependency chain: issue it first, then the
     * independent discount factors, which fill its latency. */
    V lq = vlog(qt);
    M far_g = vlt(zero, zero); /* none (mnone() here: AVX2 3 % slower with gcc 12) */
    if (!uniform)
        far_g = KF(discount)(model, r, q, T, &D, &E, &em1);
    /* e^{-qT}: kept out of the uniform path's loop-carried factors (AVX2
     * has 16 registers) */
    V Dq = model == QPM__BSM ? vsel(vneq(q, zero), vmul(D, E), one) : D;
    if (model == QPM__BSM) {
        x = vfma(vsub(r, q), T, vfma(rem, rS, lq));
        F = vmul(S, E);
    } else {
        q = r;
        x = vfma(rem, rS, lq);
        F = S;
    }
    V sqrtT = vsqrt(T), s = vmul(sig, sqrtT);
    V y = vabs(x);
    /* F - K without cancellation, off the critical path.  BSM: F - K = (S -
     * K) + S (e^g - 1), S - K exact for K/2 <= S <= 2K (Sterbenz).  Beyond,
     * |ln(S/K)| > ln 2, and F - K is formed directly, unless |x| < 1/2
     * (only with a carry |g| > 0.19): there K (e^x - 1). */
    V fk = vsub(F, K);
    M special = mor(vngt(s, zero), vgt(y, vmul(vset(1e10), s)));
    if (model == QPM__BSM) {
        M near = mand(vge(vadd(S, S), K), vle(S, vadd(K, K)));
        fk = vsel(near, vfma(S, em1, vsub(S, K)), fk);
        M far = mandnot(near, vlt(y, half));
        if (mbits(far) != 0)
            fk = vsel(far, vmul(K, vexpm1_small(x)), fk);
        special = mor(special, far_g);
    }
    /* S/K or the forward out of the normal range: the scalar path takes logs
     * separately, or recomputes carefully */
    special = mor(special, mor(vnotnormal(qt), vnotnormal(F)));
    /* Lanes for the scalar path are known here: write straight to the
     * outputs when there are none (the first nv lanes), else to tmp for
     * patching. */
    int smask = mbits(special);
    int direct = store == 2 || (smask == 0 && store);
    /* lanes with a stored output infinite or NaN (an intermediate left the
     * double range): the vocabulary's accumulator, see qnf_add */
    NF nfacc = nf_init();
#define PUT(o, v)                                                                          \
    do {                                                                                   \
        if (need & NEED(o)) {                                                              \
            V put_v_ = (v);                                                                \
            if (!direct)                                                                   \
                vstoreu(tmp[o], put_v_);                                                   \
            else if (nv == LANES)                                                          \
                vstoreu(out[o] + i, put_v_);                                               \
            else if (nv == 1)                                                              \
                vstore1(out[o] + i, put_v_);                                               \
            else                                                                           \
                vstoreu_n(out[o] + i, put_v_, nv);                                         \
            nfacc = nf_add(nfacc, put_v_);                                                 \
        }                                                                                  \
    } while (0)
    V rs = vdiv(one, s);
    V m = vmul(y, rs), t = vmul(half, s);
    V a1 = vsub(m, t), a1e = KF(two_diff_err)(m, t, a1);
    V a2 = vadd(m, t);
    M xpos = vgt(x, zero);
    V small = vsel(xpos, K, F), big = vsel(xpos, F, K);
    V n1 = KF(npdf_dd)(a1, a1e);
    V n2 = vmul(n1, vdiv(small, big));
    V p1 = vmul(n1, vmills(vabs(a1)));
    V p2 = vmul(n2, vmills(a2));
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
    } else if (mbits(hard) != 0) {
        /* Rare: the two Black terms cancel; take the Mills-ratio difference
         * (the vector form of the scalar path's function: its bits). */
        otm = vsel(hard, vmul(vmul(small, n1), vmills_diff(a1, s, hard)), otm);
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
    int nfm = mbits(nf_lanes(nfacc));
    if (store == 2)
        return (smask | nfm) != 0 ? 0 : -1;
    if (__builtin_expect(nfm != 0, 0)) {
        M redo = mor(special, nf_lanes(nfacc));
        if (defer)
            redo = mandnot(*hard_out, redo); /* redone by flush_hard */
        int mask = mbits(redo);
        return direct ? (mask != 0 ? mask | DIRECT : -1) : mask;
    }
    return direct ? -1 : smask;
}

/* Loads LANES elements by index (strides as in the job): idx[0 .. cnt-1],
 * the last one repeated in the remaining lanes, so that each lane computes
 * exactly what it would in a full block (every operation is lane-wise). */
static inline void KF(gather)(const qpm__bjob *job, const size_t *idx, size_t cnt, V *u, V *K,
                              V *T, V *r, V *q, V *sig, V *phi)
{
    double bu[LANES], bk[LANES], bt[LANES], br[LANES], bq[LANES], bs[LANES], bty[LANES];
    for (size_t j = 0; j < LANES; j++) {
        size_t e = idx[j < cnt ? j : cnt - 1];
        bu[j] = job->u[e * job->su];
        bk[j] = job->k[e * job->sk];
        bt[j] = job->t[e * job->st];
        br[j] = job->r[e * job->sr];
        bq[j] = job->q[e * job->sq];
        bs[j] = job->sig[e * job->ssig];
        bty[j] = (double)job->type[e * job->stype];
    }
    *u = vloadu(bu), *K = vloadu(bk), *T = vloadu(bt);
    *r = vloadu(br), *q = vloadu(bq), *sig = vloadu(bs);
    *phi = KF(phi_of)(vloadu(bty));
}

/* Elements i .. i + nv - 1 (nv <= LANES) of an input with stride 0 or 1,
 * the last one repeated in the remaining lanes (see gather) */
static inline V KF(load_tail)(const double *p, size_t stride, size_t i, size_t nv)
{
    if (!stride)
        return vbcast(p);
    if (nv == 1)
        return vbcast(p + i);
    return vsel(mfirst(nv), vloadu_n(p + i, nv), vbcast(p + i + nv - 1));
}

static inline V KF(load_phi_tail)(const int32_t *p, size_t stride, size_t i, size_t nv)
{
    if (!stride)
        return vset(*p > 0 ? 1.0 : -1.0);
    V last = vset(p[i + nv - 1] > 0 ? 1.0 : -1.0);
    if (nv == 1)
        return last;
    return vsel(mfirst(nv), KF(phi_of)(vload_i32_n(p + i, nv)), last);
}

/* The rare lanes of block i (nv elements) that the scalar path redoes, per
 * block's verdict `special`, and the copy of tmp to the outputs when the
 * block went there.  Returns the first element with a wanted output beyond
 * the range of double, or SIZE_MAX.  Inline, and the first bad index is
 * returned rather than stored through a pointer: either an out-of-line call
 * or an address-taken counter in the vector loop made GCC keep the loop's
 * vector values in memory, 30 % slower (bench_pricing, AVX-512). */
static inline __attribute__((always_inline)) size_t
KF(patch)(const qpm__bjob *job, int model, int inverse, unsigned need, size_t i, size_t nv,
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
static inline size_t KF(scatter)(const qpm__bjob *job, int model, int inverse, unsigned need,
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
QPM__FLUSH_FN size_t KF(flush_hard)(const qpm__bjob *job, int model, int inverse, unsigned need,
                                    int uniform, V D, V E, V em1, const size_t *idx, size_t cnt)
{
    size_t bad = SIZE_MAX;
    for (size_t k = 0; k < cnt; k += LANES) {
        size_t c = cnt - k < LANES ? cnt - k : LANES;
        V u, K, T, r, q, sig, phi;
        KF(gather)(job, idx + k, c, &u, &K, &T, &r, &q, &sig, &phi);
        double tmp[QPM__NOUT][LANES];
        int special = KF(block)(model, inverse, need, u, K, T, r, q, sig, phi, uniform, D, E, em1,
                                job->out, 0, c, 0, tmp, 0, NULL);
        size_t b = KF(scatter)(job, model, inverse, need, idx + k, c, special, tmp); /* not DIRECT */
        bad = b < bad ? b : bad;
    }
    return bad;
}

/* One element, no loop (the one-lane build: a loop would hoist every
 * constant of the block into stack slots before its first pass).  Returns
 * the element's index when a wanted output is beyond the range of double,
 * else SIZE_MAX. */
static inline __attribute__((always_inline)) size_t KF(one)(const qpm__bjob *job, size_t i,
                                                            int model, int inverse,
                                                            unsigned need)
{
    V u = vload_s(job->u, job->su, i), K = vload_s(job->k, job->sk, i);
    V T = vload_s(job->t, job->st, i), r = vload_s(job->r, job->sr, i);
    V q = vload_s(job->q, job->sq, i), sig = vload_s(job->sig, job->ssig, i);
    V phi = PHI_ONE(job->type[i * job->stype]);
    double tmp[QPM__NOUT][LANES];
    M hard;
    /* the discount factors from r, q and T here: the same bits as the
     * uniform path's */
    int special = KF(block)(model, inverse, need, u, K, T, r, q, sig, phi, 0, vzero(), vzero(),
                            vzero(), job->out, i, LANES, 1, tmp, 0, &hard);
    (void)hard;
    return special >= 0 ? KF(patch)(job, model, inverse, need, i, LANES, special, tmp) : SIZE_MAX;
}

static inline __attribute__((always_inline)) size_t KF(run)(const qpm__bjob *job, size_t begin,
                                                            size_t end, int model, int inverse)
{
    size_t bad = SIZE_MAX;
    /* T, r and q shared (an option chain): the discount factors once, unless
     * the carry is beyond QPM__MAX_RT (then every lane goes to the scalar
     * path, from the per-block discounting).  One loop for both: a copy
     * for each, with fewer live registers in the per-block one, measured
     * 10 % slower with gcc 12. */
    int uniform = job->st == 0 && job->sr == 0 && job->sq == 0;
    V Dpre = vzero(), Epre = Dpre, em1pre = Dpre;
    if (uniform) {
        M far_g = KF(discount)(model, vset(job->r[0]), vset(job->q[0]), vset(job->t[0]), &Dpre,
                               &Epre, &em1pre);
        uniform = mbits(far_g) == 0;
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
            u = vload_s(job->u, job->su, i);
            K = vload_s(job->k, job->sk, i);
            T = vload_s(job->t, job->st, i);
            r = vload_s(job->r, job->sr, i);
            q = vload_s(job->q, job->sq, i);
            sig = vload_s(job->sig, job->ssig, i);
            phi = job->stype ? KF(phi_of)(vload_i32(job->type + i))
                             : vset(job->type[0] > 0 ? 1.0 : -1.0);
        } else {
            /* Tail: pad with copies of the last element, so that each lane
             * computes exactly what a full block would. */
            u = KF(load_tail)(job->u, job->su, i, nv);
            K = KF(load_tail)(job->k, job->sk, i, nv);
            T = KF(load_tail)(job->t, job->st, i, nv);
            r = KF(load_tail)(job->r, job->sr, i, nv);
            q = KF(load_tail)(job->q, job->sq, i, nv);
            sig = KF(load_tail)(job->sig, job->ssig, i, nv);
            phi = KF(load_phi_tail)(job->type, job->stype, i, nv);
        }
        double tmp[QPM__NOUT][LANES];
        M hard;
        int special = KF(block)(model, inverse, need, u, K, T, r, q, sig, phi, uniform, Dpre, Epre,
                                em1pre, out, i, nv, 1, tmp, QPM__DEFER_HARD, &hard);
        if (special >= 0) {
            size_t b = KF(patch)(job, model, inverse, need, i, nv, special, tmp);
            bad = b < bad ? b : bad;
        }
#if QPM__DEFER_HARD
        npend = vdefer(hard, (int)((1u << nv) - 1u), i, pend, npend);
        /* one call site, so that where the careful pass is inlined it is
         * inlined once */
        if (npend >= LANES || (npend > 0 && i + LANES >= end)) {
            size_t b = KF(flush_hard)(job, model, inverse, need, uniform, Dpre, Epre, em1pre, pend,
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

/* The job's model and settlement as constants of the body (one inlined
 * copy per combination): Black-76 or BSM, linear or coin-settled. */
#if LANES == 1
/* One function per model and settlement, each the block for one element:
 * no loop around the block, which would hoist every constant of the block
 * into stack slots before its first pass. */
#define KF_ONE(model, inverse, name)                                                          \
    static __attribute__((noinline)) size_t KF(name)(const qpm__bjob *job, size_t i,         \
                                                     unsigned need)                           \
    {                                                                                         \
        return KF(one)(job, i, model, inverse, need);                                        \
    }
KF_ONE(QPM__BSM, 0, one_bsm)
KF_ONE(QPM__BSM, 1, one_bsm_inv)
KF_ONE(QPM__B76, 0, one_b76)
KF_ONE(QPM__B76, 1, one_b76_inv)
#undef KF_ONE

/* The single-option entry (qpm__bone): the values in registers, no job,
 * no strides, the outputs written directly; a block that needs the scalar
 * path for its lane reports it (0), and the caller reruns the option
 * through the kernel.  Two copies of the block: need constant for the
 * usual outputs (QPM__NEED_STD, no per-output tests), any other set.  (The
 * two calls written here, not through an inlined helper: with one, gcc 12
 * scheduled the AVX2 build 3 % slower.) */
#define KF_VAL(model, inverse, name)                                                          \
    static int KF(name)(unsigned need, double u, double K, double T, double r, double q,     \
                        double sigma, int32_t type, double *const *out)                      \
    {                                                                                         \
        double tmp[QPM__NOUT][LANES];                                                         \
        M hard;                                                                               \
        int special;                                                                          \
        if (need == QPM__NEED_STD)                                                            \
            special = KF(block)(model, inverse, QPM__NEED_STD, vset(u), vset(K), vset(T),     \
                                vset(r), vset(q), vset(sigma), PHI_ONE(type),                \
                                0, vzero(), vzero(), vzero(), out, 0, LANES, 2, tmp, 0, &hard); \
        else                                                                                  \
            special = KF(block)(model, inverse, need, vset(u), vset(K), vset(T), vset(r),     \
                                vset(q), vset(sigma), PHI_ONE(type), 0,                       \
                                vzero(), vzero(), vzero(), out, 0, LANES, 2, tmp, 0, &hard);  \
        (void)hard;                                                                           \
        return special < 0;                                                                   \
    }
KF_VAL(QPM__BSM, 0, val_bsm)
KF_VAL(QPM__BSM, 1, val_bsm_inv)
KF_VAL(QPM__B76, 0, val_b76)
KF_VAL(QPM__B76, 1, val_b76_inv)
#undef KF_VAL

static qpm__bone KF(val)(int model, int inverse)
{
    if (model == QPM__BSM)
        return inverse ? KF(val_bsm_inv) : KF(val_bsm);
    if (model == QPM__B76)
        return inverse ? KF(val_b76_inv) : KF(val_b76);
    return NULL;
}

static size_t KF(dispatch)(const qpm__bjob *job, size_t begin, size_t end)
{
    size_t (*f)(const qpm__bjob *, size_t, unsigned) =
        job->model == QPM__BSM ? (job->inverse ? KF(one_bsm_inv) : KF(one_bsm))
                               : (job->inverse ? KF(one_b76_inv) : KF(one_b76));
    unsigned need = qpm__bjob_need(job);
    size_t bad = SIZE_MAX;
    for (size_t i = begin; i < end; i++) {
        size_t b = f(job, i, need);
        bad = b < bad ? b : bad;
    }
    return bad;
}
#else
static inline __attribute__((always_inline)) size_t KF(dispatch)(const qpm__bjob *job,
                                                                 size_t begin, size_t end)
{
    if (job->model == QPM__BSM)
        return job->inverse ? KF(run)(job, begin, end, QPM__BSM, 1)
                            : KF(run)(job, begin, end, QPM__BSM, 0);
    return job->inverse ? KF(run)(job, begin, end, QPM__B76, 1)
                        : KF(run)(job, begin, end, QPM__B76, 0);
}
#endif
