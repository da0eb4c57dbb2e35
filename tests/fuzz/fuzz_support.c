#include "fuzz_support.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *g_where = "(none)";

void fz_where(const char *what)
{
    g_where = what;
}

void fz_fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("fuzz invariant violated: ", stderr);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n  in: %s\n", g_where);
    fflush(stderr);
    abort();
}

/* ---- decoding ------------------------------------------------------------------ */

void fz_init(fz_in *in, const uint8_t *data, size_t size)
{
    in->p = data;
    in->n = size;
    in->pos = 0;
}

int fz_more(const fz_in *in)
{
    return in->pos < in->n;
}

uint8_t fz_u8(fz_in *in)
{
    return in->pos < in->n ? in->p[in->pos++] : 0;
}

uint16_t fz_u16(fz_in *in)
{
    uint16_t v = fz_u8(in);
    return (uint16_t)(v | (uint16_t)(fz_u8(in) << 8));
}

uint32_t fz_u32(fz_in *in)
{
    uint32_t v = fz_u16(in);
    return v | (uint32_t)fz_u16(in) << 16;
}

uint64_t fz_u64(fz_in *in)
{
    uint64_t v = fz_u32(in);
    return v | (uint64_t)fz_u32(in) << 32;
}

size_t fz_range(fz_in *in, size_t lo, size_t hi)
{
    if (hi <= lo)
        return lo;
    size_t span = hi - lo;
    uint32_t v = span < 256 ? fz_u8(in) : span < 65536 ? fz_u16(in) : fz_u32(in);
    return lo + (size_t)v % (span + 1);
}

size_t fz_size(fz_in *in, size_t lo, size_t hi)
{
    uint8_t m = fz_u8(in);
    if (m < 236)
        return fz_range(in, lo, hi);
    switch (m % 5) {
    case 0:
        return 0;
    case 1:
        return hi + 1;
    case 2:
        return SIZE_MAX;
    case 3:
        return (size_t)1 << 40;
    default:
        return lo > 0 ? lo - 1 : 0;
    }
}

static const double specials[] = {
    0.0,         -0.0,     1.0,         -1.0,
    0.5,         2.0,      DBL_MAX,     -DBL_MAX,
    DBL_MIN,     -DBL_MIN, 0x1p-1074,   -0x1p-1074,
    DBL_EPSILON, 1e-300,   1e300,       1e155,
    1e-155,      1e-100,   1e100,       1e160,
    1e-160,      3e6,      700.0,       -700.0,
    1e-8,        1e8,      1e-16,       1e16,
    0x1p53,      -1e300,   1e308,       0x1p-1022 * 0.5,
    (double)NAN, FZ_INF,   -FZ_INF,     -(double)NAN,
    1e-320,      0.99,     0.999999999, 1.0 - 0x1p-53,
};
#define N_SPECIALS (sizeof specials / sizeof specials[0])

double fz_special(fz_in *in)
{
    uint8_t m = fz_u8(in);
    if (m < 192)
        return specials[m % N_SPECIALS];
    uint64_t bits = fz_u64(in);
    double d;
    memcpy(&d, &bits, sizeof d);
    return d;
}

int fz_progress_fn(void *user, double done)
{
    fz_progress *p = user;
    if (!(done >= p->last && done <= 1.0))
        fz_fail("progress went from %.17g to %.17g", p->last, done);
    p->last = done;
    p->calls++;
    return p->cancel_after >= 0 && p->calls > p->cancel_after;
}

void fz_progress_reset(fz_progress *p, long cancel_after)
{
    p->cancel_after = cancel_after;
    p->calls = 0;
    p->last = 0.0;
}

double fz_plain(fz_in *in, double lo, double hi)
{
    return lo + (hi - lo) * (double)fz_u16(in) / 65535.0;
}

uint64_t fz_sm64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

double fz_unif(uint64_t *x)
{
    return ((double)(fz_sm64(x) >> 11) + 0.5) * 0x1p-53;
}

double fz_gauss(uint64_t *x)
{
    double u = fz_unif(x), v = fz_unif(x);
    return sqrt(-2.0 * log(u)) * cos(6.283185307179586 * v);
}

double fz_real(fz_in *in, double lo, double hi)
{
    uint8_t m = fz_u8(in);
    if (m >= 224)
        return fz_special(in);
    double u = (double)fz_u16(in) / 65535.0;
    if (m == 0)
        return lo;
    if (m == 1)
        return hi;
    if (lo > 0 && hi / lo > 1e3)
        return exp(log(lo) + u * (log(hi) - log(lo)));
    return lo + u * (hi - lo);
}

void fz_fill(fz_in *in, double *x, size_t n, double lo, double hi)
{
    size_t k = fz_range(in, 1, 8);
    double base[8];
    for (size_t j = 0; j < k; j++)
        base[j] = fz_real(in, lo, hi);
    int perturb = fz_u8(in) & 1;
    for (size_t i = 0; i < n; i++) {
        double v = base[i % k];
        if (perturb && i >= k && isfinite(v))
            v *= 1.0 + 1e-3 * (double)((i * 2654435761u) % 1000) / 1000.0;
        x[i] = v;
    }
}

double fz_setting(fz_in *in, double lo, double hi)
{
    uint8_t m = fz_u8(in);
    switch (m % 16) {
    case 0:
        return lo;
    case 1:
        return hi;
    case 2:
        return nextafter(lo, -FZ_INF);
    case 3:
        return nextafter(hi, FZ_INF);
    case 4:
        return fz_special(in);
    case 5:
        return lo + 0.5;
    default:
        return fz_real(in, lo, hi);
    }
}

/* ---- status and message --------------------------------------------------------- */

qpm_status fz_status(qpm_status st, const char *call)
{
    g_where = call;
    if (strcmp(qpm_status_name(st), "QPM_E_UNKNOWN") == 0)
        fz_fail("unknown status %d", (int)st);
    if (st == QPM_OK)
        return st;
    const char *msg = qpm_last_error();
    if (msg == NULL || msg[0] == '\0')
        fz_fail("status %s with an empty qpm_last_error()", qpm_status_name(st));
    if (qpm_last_status() != st)
        fz_fail("status %s but qpm_last_status() = %s (message \"%s\")", qpm_status_name(st),
                qpm_status_name(qpm_last_status()), msg);
    return st;
}

/* ---- contracts -------------------------------------------------------------------- */

static const struct {
    const char *id;
    fz_rule rule;
    double lo, hi;
    const char *why;
} contracts[] = {
#define FZ_ROW(id, rule, lo, hi, why) {#id, rule, lo, hi, why},
    FZ_CONTRACTS(FZ_ROW)
#undef FZ_ROW
};

static int breaks(fz_contract_id id, double v, int nan_ok)
{
    double lo = contracts[id].lo, hi = contracts[id].hi;
    fz_rule rule = contracts[id].rule;
    if (isnan(v))
        return !(rule == FZ_NAN_OK && nan_ok);
    if (isinf(v) && rule == FZ_NO_NAN && (v < 0 ? lo == -FZ_INF : hi == FZ_INF))
        return 0;
    return !(v >= lo && v <= hi);
}

long fz_bad(fz_contract_id id, const double *x, size_t n, size_t stride, int nan_ok)
{
    if (x == NULL)
        return -1;
    for (size_t i = 0; i < n; i++)
        if (breaks(id, x[i * stride], nan_ok))
            return (long)i;
    return -1;
}

void fz_contract_fail(fz_contract_id id, const char *what, long i, double v, const char *inputs)
{
    fz_fail("QPM_OK with %s[%ld] = %.17g outside [%g, %g]%s (%s: %s)%s%s", what, i, v,
            contracts[id].lo, contracts[id].hi, contracts[id].rule == FZ_NO_NAN ? " or NaN" : "",
            contracts[id].id, contracts[id].why, inputs ? "\n  inputs: " : "",
            inputs ? inputs : "");
}

void fz_expect(fz_contract_id id, const char *what, const double *x, size_t n, size_t stride,
               int nan_ok)
{
    long i = fz_bad(id, x, n, stride, nan_ok);
    if (i >= 0)
        fz_contract_fail(id, what, i, x[(size_t)i * stride], NULL);
}

/* A NaN payload no library path produces. */
static double poison_value(void)
{
    uint64_t bits = 0x7ff4dead0badf00du;
    double d;
    memcpy(&d, &bits, sizeof d);
    return d;
}

void fz_poison(double *x, size_t n)
{
    double v = poison_value();
    for (size_t i = 0; i < n; i++)
        x[i] = v;
}

void fz_untouched(const double *x, size_t n, const char *what)
{
    double v = poison_value();
    for (size_t i = 0; i < n; i++)
        if (memcmp(&x[i], &v, sizeof v) != 0)
            fz_fail("failed call wrote %s[%zu] = %.17g", what, i, x[i]);
}

/* ---- allocator ---------------------------------------------------------------------- */

static void *fa_alloc(void *ctx, size_t n)
{
    fz_alloc *fa = ctx;
    long k = fa->calls++;
    if (fa->fail_at >= 0 && k == fa->fail_at)
        return NULL;
    void *p = malloc(n);
    if (p != NULL)
        fa->live++;
    return p;
}

static void fa_free(void *ctx, void *p)
{
    fz_alloc *fa = ctx;
    fa->live--;
    free(p);
}

void fz_alloc_init(fz_alloc *fa)
{
    memset(fa, 0, sizeof *fa);
    fa->alloc.size = sizeof fa->alloc;
    fa->alloc.alloc_fn = fa_alloc;
    fa->alloc.free_fn = fa_free;
    fa->alloc.ctx = fa;
    fa->fail_at = -1;
}

void fz_arm(fz_alloc *fa, long k)
{
    fa->fail_at = fa->calls + k;
}

void fz_disarm(fz_alloc *fa)
{
    fa->fail_at = -1;
}

/* ---- two-pass replay ----------------------------------------------------------------- */

void fz_pass_begin(fz_pass *p, int b)
{
    p->b = b;
    p->ops = 0;
}

void fz_two_passes(fz_run_fn run, void *state, size_t state_size, const uint8_t *data, size_t size)
{
    static fz_pass p;
    for (int b = 0; b < 2; b++) {
        fz_pass_begin(&p, b);
        memset(state, 0, state_size);
        run(&p, state, data, size);
    }
}

void fz_check_freed(const fz_alloc *fa)
{
    if (fa->live != 0)
        fz_fail("%ld blocks still allocated after every handle was freed", fa->live);
}

/* FZ_TRACE=1 in the environment prints every call and its status. */
static int tracing(void)
{
    static int t = -1;
    if (t < 0)
        t = getenv("FZ_TRACE") != NULL;
    return t;
}

void fz_trace(const char *fmt, ...)
{
    if (!tracing())
        return;
    va_list ap;
    va_start(ap, fmt);
    fputs("    ", stderr);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

long fz_op(fz_pass *p, const char *name)
{
    if (p->ops >= FZ_MAX_OPS)
        return -1;
    size_t i = p->ops++;
    if (p->b == 0) {
        p->name[i] = name;
        p->st[i] = QPM_OK;
        p->hash[i] = 0;
        p->replay[i] = 0;
    } else if (strcmp(p->name[i], name) != 0) {
        fz_fail("pass B decoded call %zu as %s, pass A as %s", i, name, p->name[i]);
    }
    g_where = name;
    return (long)i;
}

int fz_skip(const fz_pass *p, long i, int replay_failed)
{
    if (i < 0)
        return 1;
    return p->b == 1 && p->st[i] != QPM_OK && !replay_failed && !p->replay[i];
}

void fz_mark_replay(fz_pass *p, long i)
{
    if (p->b == 0 && i >= 0)
        p->replay[i] = 1;
}

void fz_end(fz_pass *p, long i, qpm_status st, uint64_t hash)
{
    if (i < 0)
        return;
    if (tracing())
        fprintf(stderr, "pass %c call %ld %s: %s %s\n", p->b ? 'B' : 'A', i, p->name[i],
                qpm_status_name(st), st ? qpm_last_error() : "");
    if (p->b == 0) {
        p->st[i] = st;
        p->hash[i] = hash;
        return;
    }
    if (st != p->st[i])
        fz_fail("call %ld (%s): %s in pass B, %s in pass A (a failed call changed its handle, or "
                "the thread count changed the result)",
                i, p->name[i], qpm_status_name(st), qpm_status_name(p->st[i]));
    if (hash != p->hash[i])
        fz_fail("call %ld (%s): outputs differ between pass A and pass B (a failed call changed "
                "its handle, or the thread count changed the bits)",
                i, p->name[i]);
}

void fz_arm_op(const fz_pass *p, long i, fz_alloc *fa, long k)
{
    fz_disarm(fa);
    if (k < 0 || i < 0)
        return;
    if (p->b == 0 || p->st[i] != QPM_OK || p->replay[i])
        fz_arm(fa, k);
}

uint64_t fz_hash(uint64_t h, const void *data, size_t n)
{
    const unsigned char *b = data;
    for (size_t i = 0; i < n; i++) {
        h ^= b[i];
        h *= 0x100000001b3u;
    }
    return h;
}

double fz_threads(const fz_pass *p, double v)
{
    static const double alt[9] = {0, 3, 1, 2, 1, 3, 2, 1, 2};
    if (p->b == 0 || !(v >= 1 && v <= 8) || v != floor(v))
        return v;
    return alt[(int)v];
}
