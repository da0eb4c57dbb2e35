/* rng golden: bit-exact agreement with the reference PCG sequences (refdata
 * section 10) for every seed, phase and output, including the seeded and
 * advanced states.  Any difference is a bug: the reference is bit-exact
 * (pcg-cpp = independent Python = numpy), so the tolerance is zero. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qpm/rng.h"
#include "support/testutil.h"

__extension__ typedef unsigned __int128 u128;

/* Unsigned decimal to 128 bits; fails the test on anything else or on overflow. */
static u128 parse_u128(const char *s)
{
    u128 x = 0;
    const u128 max = ~(u128)0;
    cr_assert(*s != '\0', "empty integer field");
    for (const char *c = s; *c; c++) {
        cr_assert(*c >= '0' && *c <= '9', "bad digit in '%s'", s);
        unsigned d = (unsigned)(*c - '0');
        cr_assert(x <= (max - d) / 10, "'%s' exceeds 2^128 - 1", s);
        x = x * 10 + d;
    }
    return x;
}

static uint64_t hi64(u128 x)
{
    return (uint64_t)(x >> 64);
}
static uint64_t lo64(u128 x)
{
    return (uint64_t)x;
}

static qpm_rng_kind kind_of(const char *name)
{
    if (strcmp(name, "pcg64dxsm") == 0)
        return QPM_RNG_PCG64DXSM;
    if (strcmp(name, "pcg64") == 0)
        return QPM_RNG_PCG64;
    cr_assert_str_eq(name, "pcg32", "unknown generator '%s' in seeds file", name);
    return QPM_RNG_PCG32;
}

/* Checks every row of pcg_<gen>_<set>.csv against the library seeded as
 * pcg_seeds_<set>.csv says; returns the number of output rows checked. */
static size_t check_generator(const char *gen, const char *set)
{
    char sname[64];
    snprintf(sname, sizeof sname, "pcg_seeds_%s.csv", set);
    qt_csv *seeds = qt_csv_load(sname);
    size_t c_gen = qt_csv_col(seeds, "generator"), c_sid = qt_csv_col(seeds, "seed_id"),
           c_phase = qt_csv_col(seeds, "phase"), c_is = qt_csv_col(seeds, "initstate"),
           c_iq = qt_csv_col(seeds, "initseq"), c_adv = qt_csv_col(seeds, "advance"),
           c_state = qt_csv_col(seeds, "state"), c_inc = qt_csv_col(seeds, "inc");
    char fname[64];
    snprintf(fname, sizeof fname, "pcg_%s_%s.csv", gen, set);
    qt_csv *seq = qt_csv_load(fname);
    size_t s_sid = qt_csv_col(seq, "seed_id"), s_phase = qt_csv_col(seq, "phase"),
           s_idx = qt_csv_col(seq, "index"), s_out = qt_csv_col(seq, "output");
    size_t nseq = seq->nrows;
    char *used = calloc(nseq, 1);
    uint64_t *got = malloc(2000 * sizeof *got);
    cr_assert(used && got);
    size_t checked = 0, nseeds = 0;

    for (size_t r = 0; r < seeds->nrows; r++) {
        if (strcmp(qt_csv_str(seeds, r, c_gen), gen) != 0)
            continue;
        nseeds++;
        qpm_rng_kind kind = kind_of(gen);
        u128 is = parse_u128(qt_csv_str(seeds, r, c_is));
        u128 iq = parse_u128(qt_csv_str(seeds, r, c_iq));
        u128 adv = parse_u128(qt_csv_str(seeds, r, c_adv));
        u128 want_state = parse_u128(qt_csv_str(seeds, r, c_state));
        u128 want_inc = parse_u128(qt_csv_str(seeds, r, c_inc));
        const char *sid = qt_csv_str(seeds, r, c_sid), *phase = qt_csv_str(seeds, r, c_phase);

        qpm_rng *rng;
        cr_assert_eq(qpm_rng_create(&rng, NULL, kind, hi64(is), lo64(is), hi64(iq), lo64(iq)),
                     QPM_OK);
        if (strcmp(phase, "seeded") != 0) {
            cr_assert(strncmp(phase, "advanced", 8) == 0, "unknown phase %s", phase);
            cr_assert_eq(qpm_rng_advance(rng, hi64(adv), lo64(adv)), QPM_OK);
        } else {
            cr_assert(adv == 0, "seeded row with an advance");
        }
        uint64_t sh, sl, ih, il;
        cr_assert_eq(qpm_rng_get_state(rng, &sh, &sl, &ih, &il), QPM_OK);
        cr_assert(sh == hi64(want_state) && sl == lo64(want_state), "%s seed %s %s: state differs",
                  gen, sid, phase);
        cr_assert(ih == hi64(want_inc) && il == lo64(want_inc), "%s seed %s %s: inc differs", gen,
                  sid, phase);

        /* gather this (seed, phase)'s rows, in index order */
        size_t nout = 0;
        for (size_t q = 0; q < nseq; q++) {
            if (strcmp(qt_csv_str(seq, q, s_sid), sid) != 0 ||
                strcmp(qt_csv_str(seq, q, s_phase), phase) != 0)
                continue;
            cr_assert(!used[q], "row %zu matched twice", q);
            used[q] = 1;
            cr_assert_eq((size_t)parse_u128(qt_csv_str(seq, q, s_idx)), nout,
                         "%s seed %s %s: rows out of index order", gen, sid, phase);
            cr_assert_lt(nout, 2000u);
            got[nout++] = (uint64_t)parse_u128(qt_csv_str(seq, q, s_out));
        }
        cr_assert_eq(nout, 1000u, "%s seed %s %s: %zu outputs in file", gen, sid, phase, nout);

        /* draw in uneven bulk pieces (n = 1 is the scalar case) */
        uint64_t out[1000];
        size_t pieces[] = {1, 1, 7, 300, 1, 690}, at = 0;
        for (size_t k = 0; k < sizeof pieces / sizeof pieces[0]; k++) {
            cr_assert_eq(qpm_rng_raw(rng, pieces[k], out + at), QPM_OK);
            at += pieces[k];
        }
        cr_assert_eq(at, 1000u);
        for (size_t i = 0; i < 1000; i++) {
            if (out[i] != got[i])
                cr_assert_fail("%s seed %s %s output %zu: got %llu, reference %llu", gen, sid,
                               phase, i, (unsigned long long)out[i], (unsigned long long)got[i]);
            if (kind == QPM_RNG_PCG32)
                cr_assert_lt(out[i], (uint64_t)1 << 32, "pcg32 output not widened from 32 bits");
        }
        checked += 1000;
        qpm_rng_free(rng);
    }
    cr_assert_geq(nseeds, 2u, "%s: no seeds in %s", gen, sname);
    for (size_t q = 0; q < nseq; q++)
        cr_assert(used[q], "%s row %zu not covered by the seeds file", fname, q);
    cr_assert_eq(checked, nseq);
    free(used);
    free(got);
    qt_csv_free(seq);
    qt_csv_free(seeds);
    return checked;
}

/* The public set (4 seeds x 2 phases x 1000 outputs per generator), and the
 * independent set too when its files sit beside the public ones. */
static void check_all_sets(const char *gen)
{
    cr_assert_eq(check_generator(gen, "public"), 8000u);
    FILE *f = fopen(qt_refdata_path("pcg_seeds_hidden.csv"), "r");
    if (f != NULL) {
        fclose(f);
        cr_assert_gt(check_generator(gen, "hidden"), 0u);
    }
    cr_assert_eq(qt_leak_check(), 0);
}

Test(rng_golden, pcg64dxsm_every_row)
{
    check_all_sets("pcg64dxsm");
}

Test(rng_golden, pcg64_every_row)
{
    check_all_sets("pcg64");
}

Test(rng_golden, pcg32_every_row)
{
    check_all_sets("pcg32");
}

/* The published pcg-cpp known answers for seed (42, 54). */
Test(rng_golden, published_known_answers)
{
    qpm_rng *r64, *r32;
    cr_assert_eq(qpm_rng_create(&r64, NULL, QPM_RNG_PCG64, 0, 42, 0, 54), QPM_OK);
    cr_assert_eq(qpm_rng_create(&r32, NULL, QPM_RNG_PCG32, 0, 42, 0, 54), QPM_OK);
    uint64_t a[2], b[2];
    cr_assert_eq(qpm_rng_raw(r64, 2, a), QPM_OK);
    cr_assert_eq(qpm_rng_raw(r32, 2, b), QPM_OK);
    cr_assert_eq(a[0], 0x86b1da1d72062b68ull);
    cr_assert_eq(a[1], 0x1304aa46c9853d39ull);
    cr_assert_eq(b[0], 0xa15c02b7ull);
    cr_assert_eq(b[1], 0x7b47f409ull);
    qpm_rng_free(r64);
    qpm_rng_free(r32);
}
