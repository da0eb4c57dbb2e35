/* qpm_dump_diff: compares two outputs of qpm_dump value by value.
 *
 *     qpm_dump_diff [--show N] [--labels A B] A.txt B.txt
 *
 * Lines are matched by their (case, index) key, so a value missing on one
 * side is reported as such and does not shift the rest.  Prints the '#'
 * description lines of both runs, then per family (the case name up to its
 * first '.') the number of values compared, differing and present on one
 * side only, with the largest distance in ulps between differing doubles,
 * then the first N differences (default 20) with their distance.
 *
 * Exit status: 0 when every value of A equals the value of B with the same
 * key bit for bit and neither side has keys the other lacks; 1 when they
 * differ; 2 on a usage or input error (unreadable file, malformed line,
 * duplicate key, no values at all). */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct line {
    const char *key;   /* "case index", NUL-terminated in place */
    size_t klen, flen; /* key length, family length */
    const char *value;
} line;

typedef struct dump {
    const char *path, *label;
    char *text;
    line *lines;
    size_t n;
    const char **header;
    size_t nheader;
} dump;

#define MAX_FAMILIES 64

typedef struct family {
    char name[48];
    size_t compared, differing, only_a, only_b;
    uint64_t max_ulp;
    int non_numeric; /* a differing value that is not a pair of doubles */
} family;

static family fams[MAX_FAMILIES];
static size_t nfams;

/* cases (the key up to its space) holding differences, in order of A */
typedef struct case_diff {
    const char *name;
    size_t len, differing;
    uint64_t max_ulp;
    int non_numeric;
} case_diff;

static case_diff *cases;
static size_t ncases, cases_cap;

static void die(const char *fmt, const char *arg)
{
    fprintf(stderr, "qpm_dump_diff: ");
    fprintf(stderr, fmt, arg);
    fputc('\n', stderr);
    exit(2);
}

static void *xalloc(size_t n)
{
    void *p = calloc(1, n ? n : 1);
    if (p == NULL)
        die("out of memory%s", "");
    return p;
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        fprintf(stderr, "qpm_dump_diff: cannot open %s: %s\n", path, strerror(errno));
        exit(2);
    }
    size_t cap = 1 << 20, len = 0;
    char *buf = xalloc(cap);
    for (;;) {
        if (len + 1 >= cap) {
            cap *= 2;
            char *nb = realloc(buf, cap);
            if (nb == NULL)
                die("out of memory reading %s", path);
            buf = nb;
        }
        size_t got = fread(buf + len, 1, cap - len - 1, f);
        len += got;
        if (got == 0)
            break;
    }
    if (ferror(f))
        die("cannot read %s", path);
    fclose(f);
    buf[len] = '\0';
    return buf;
}

static void load(dump *d)
{
    d->text = slurp(d->path);
    size_t cap = 1;
    for (const char *p = d->text; *p; p++)
        cap += *p == '\n';
    d->lines = xalloc(cap * sizeof *d->lines);
    d->header = xalloc(cap * sizeof *d->header);
    size_t lineno = 0;
    for (char *p = d->text; *p;) {
        char *e = strchr(p, '\n');
        if (e != NULL)
            *e = '\0';
        lineno++;
        if (*p == '#') {
            d->header[d->nheader++] = p;
        } else if (*p != '\0') {
            char *s1 = strchr(p, ' ');
            char *s2 = s1 ? strchr(s1 + 1, ' ') : NULL;
            if (s2 == NULL || s1 == p || s2 == s1 + 1) {
                fprintf(stderr, "qpm_dump_diff: %s line %zu is not '<case> <index> <value>'\n",
                        d->path, lineno);
                exit(2);
            }
            line *l = &d->lines[d->n++];
            *s2 = '\0';
            l->key = p;
            l->klen = (size_t)(s2 - p);
            const char *dot = memchr(p, '.', (size_t)(s1 - p));
            l->flen = dot ? (size_t)(dot - p) : (size_t)(s1 - p);
            l->value = s2 + 1;
        }
        if (e == NULL)
            break;
        p = e + 1;
    }
}

/* ---- hash of B's keys ------------------------------------------------------ */

static uint64_t hash(const char *s, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 0x100000001b3ull;
    return h;
}

typedef struct table {
    size_t *slot; /* line index + 1; 0 = empty */
    size_t mask;
} table;

static void table_build(table *t, const dump *d)
{
    size_t cap = 16;
    while (cap < 2 * d->n)
        cap *= 2;
    t->slot = xalloc(cap * sizeof *t->slot);
    t->mask = cap - 1;
    for (size_t i = 0; i < d->n; i++) {
        const line *l = &d->lines[i];
        size_t h = (size_t)hash(l->key, l->klen) & t->mask;
        while (t->slot[h] != 0) {
            const line *o = &d->lines[t->slot[h] - 1];
            if (o->klen == l->klen && memcmp(o->key, l->key, l->klen) == 0)
                die("duplicate key '%s'", l->key);
            h = (h + 1) & t->mask;
        }
        t->slot[h] = i + 1;
    }
}

static long table_find(const table *t, const dump *d, const line *l)
{
    size_t h = (size_t)hash(l->key, l->klen) & t->mask;
    while (t->slot[h] != 0) {
        const line *o = &d->lines[t->slot[h] - 1];
        if (o->klen == l->klen && memcmp(o->key, l->key, l->klen) == 0)
            return (long)(t->slot[h] - 1);
        h = (h + 1) & t->mask;
    }
    return -1;
}

/* ---- values ---------------------------------------------------------------- */

static int is_integer(const char *s)
{
    if (*s == '-')
        s++;
    if (*s == '\0')
        return 0;
    for (; *s; s++)
        if (*s < '0' || *s > '9')
            return 0;
    return 1;
}

/* a double written by %a (or inf); 0 for anything else */
static int parse_double(const char *s, double *v)
{
    if (is_integer(s) || strncmp(s, "nan", 3) == 0)
        return 0;
    char *end;
    *v = strtod(s, &end);
    return end != s && *end == '\0';
}

static int64_t ordered(double x)
{
    int64_t i;
    memcpy(&i, &x, sizeof i);
    return i >= 0 ? i : INT64_MIN - i;
}

static uint64_t ulp_distance(double a, double b)
{
    int64_t oa = ordered(a), ob = ordered(b);
    return oa >= ob ? (uint64_t)oa - (uint64_t)ob : (uint64_t)ob - (uint64_t)oa;
}

/* How two different values differ, for the listing; returns the ulp
 * distance of two doubles, or UINT64_MAX for anything else. */
static uint64_t describe(const char *a, const char *b, char *out, size_t len)
{
    double x, y;
    if (parse_double(a, &x) && parse_double(b, &y) && x == y) {
        snprintf(out, len, "signed zero");
        return UINT64_MAX;
    }
    if (parse_double(a, &x) && parse_double(b, &y)) {
        uint64_t d = ulp_distance(x, y);
        snprintf(out, len, "%" PRIu64 " ulp, relative %.3g", d,
                 x == y ? 0.0 : (y - x) / (x != 0.0 ? x : y));
        return d;
    }
    if (is_integer(a) && is_integer(b)) {
        int neg = a[0] == '-' || b[0] == '-';
        if (neg)
            snprintf(out, len, "integer, %+lld", strtoll(b, NULL, 10) - strtoll(a, NULL, 10));
        else {
            unsigned long long ua = strtoull(a, NULL, 10), ub = strtoull(b, NULL, 10);
            snprintf(out, len, "integer, %s%llu", ub >= ua ? "+" : "-",
                     ub >= ua ? ub - ua : ua - ub);
        }
        return UINT64_MAX;
    }
    if (strncmp(a, "nan", 3) == 0 || strncmp(b, "nan", 3) == 0)
        snprintf(out, len, "NaN involved");
    else
        snprintf(out, len, "text");
    return UINT64_MAX;
}

static family *family_of(const line *l)
{
    size_t n = l->flen < sizeof fams[0].name - 1 ? l->flen : sizeof fams[0].name - 1;
    for (size_t i = 0; i < nfams; i++)
        if (strlen(fams[i].name) == n && memcmp(fams[i].name, l->key, n) == 0)
            return &fams[i];
    if (nfams == MAX_FAMILIES)
        return &fams[MAX_FAMILIES - 1];
    family *f = &fams[nfams++];
    memcpy(f->name, l->key, n);
    f->name[n] = '\0';
    return f;
}

static void usage(void)
{
    fputs("usage: qpm_dump_diff [--show N] [--labels A B] A.txt B.txt\n", stderr);
    exit(2);
}

int main(int argc, char **argv)
{
    dump a = {0}, b = {0};
    long show = 20;
    int files = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--show") == 0 && i + 1 < argc) {
            char *end;
            show = strtol(argv[++i], &end, 10);
            if (*end != '\0' || show < 0)
                usage();
        } else if (strcmp(argv[i], "--labels") == 0 && i + 2 < argc) {
            a.label = argv[++i];
            b.label = argv[++i];
        } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
            usage();
        } else if (files == 0) {
            a.path = argv[i], files++;
        } else if (files == 1) {
            b.path = argv[i], files++;
        } else {
            usage();
        }
    }
    if (files != 2)
        usage();
    if (a.label == NULL)
        a.label = "A", b.label = "B";
    load(&a);
    load(&b);
    if (a.n == 0 || b.n == 0)
        die("no values to compare in %s", a.n == 0 ? a.path : b.path);

    printf("A = %s: %s\n", a.label, a.path);
    for (size_t i = 0; i < a.nheader; i++)
        printf("  %s\n", a.header[i]);
    printf("B = %s: %s\n", b.label, b.path);
    for (size_t i = 0; i < b.nheader; i++)
        printf("  %s\n", b.header[i]);

    table tb, ta;
    table_build(&tb, &b);
    table_build(&ta, &a); /* only to reject duplicate keys in A */
    unsigned char *seen = xalloc(b.n);
    long listed = 0, listed_only = 0;
    char why[128];
    for (size_t i = 0; i < a.n; i++) {
        const line *l = &a.lines[i];
        family *f = family_of(l);
        long j = table_find(&tb, &b, l);
        if (j < 0) {
            f->only_a++;
            if (listed_only++ < show)
                printf("only in A: %s %s\n", l->key, l->value);
            continue;
        }
        seen[j] = 1;
        f->compared++;
        const char *vb = b.lines[j].value;
        if (strcmp(l->value, vb) == 0)
            continue;
        f->differing++;
        uint64_t d = describe(l->value, vb, why, sizeof why);
        if (d == UINT64_MAX)
            f->non_numeric = 1;
        else if (d > f->max_ulp)
            f->max_ulp = d;
        size_t clen = (size_t)((const char *)memchr(l->key, ' ', l->klen) - l->key);
        case_diff *cd = ncases > 0 ? &cases[ncases - 1] : NULL;
        if (cd == NULL || cd->len != clen || memcmp(cd->name, l->key, clen) != 0) {
            if (ncases == cases_cap) {
                cases_cap = cases_cap ? 2 * cases_cap : 64;
                case_diff *nc = realloc(cases, cases_cap * sizeof *cases);
                if (nc == NULL)
                    die("out of memory%s", "");
                cases = nc;
            }
            cd = &cases[ncases++];
            memset(cd, 0, sizeof *cd);
            cd->name = l->key;
            cd->len = clen;
        }
        cd->differing++;
        if (d == UINT64_MAX)
            cd->non_numeric = 1;
        else if (d > cd->max_ulp)
            cd->max_ulp = d;
        if (listed++ < show) {
            if (listed == 1)
                printf("first differences (A | B):\n");
            printf("  %s: %s | %s  (%s)\n", l->key, l->value, vb, why);
        }
    }
    for (size_t j = 0; j < b.n; j++) {
        if (seen[j])
            continue;
        family_of(&b.lines[j])->only_b++;
        if (listed_only++ < show)
            printf("only in B: %s %s\n", b.lines[j].key, b.lines[j].value);
    }

    if (ncases > 0) {
        printf("cases with differences (%zu):\n", ncases);
        for (size_t i = 0; i < ncases && (long)i < show; i++) {
            const case_diff *cd = &cases[i];
            printf("  %.*s: %zu differ", (int)cd->len, cd->name, cd->differing);
            if (cd->max_ulp > 0)
                printf(", up to %" PRIu64 " ulp", cd->max_ulp);
            printf("%s\n", cd->non_numeric ? ", non-numeric" : "");
        }
        if ((long)ncases > show)
            printf("  ... and %zu more cases\n", ncases - (size_t)show);
    }

    size_t tot[4] = {0, 0, 0, 0};
    printf("%-10s %10s %10s %10s %10s  %s\n", "family", "values", "differing", "only in A",
           "only in B", "largest difference");
    for (size_t i = 0; i < nfams; i++) {
        family *f = &fams[i];
        char big[64] = "-";
        if (f->differing > 0) {
            if (f->max_ulp > 0)
                snprintf(big, sizeof big, "%" PRIu64 " ulp%s", f->max_ulp,
                         f->non_numeric ? " (and non-numeric)" : "");
            else
                snprintf(big, sizeof big, "non-numeric");
        }
        printf("%-10s %10zu %10zu %10zu %10zu  %s\n", f->name, f->compared, f->differing, f->only_a,
               f->only_b, big);
        tot[0] += f->compared, tot[1] += f->differing, tot[2] += f->only_a, tot[3] += f->only_b;
    }
    printf("%-10s %10zu %10zu %10zu %10zu\n", "total", tot[0], tot[1], tot[2], tot[3]);
    int same = tot[1] == 0 && tot[2] == 0 && tot[3] == 0;
    if (same)
        printf("IDENTICAL: all %zu values are bit-identical\n", tot[0]);
    else
        printf("DIFFERENT: %zu of %zu values differ, %zu only in A, %zu only in B\n", tot[1],
               tot[0], tot[2], tot[3]);
    free(seen);
    free(cases);
    free(tb.slot);
    free(ta.slot);
    free(a.lines);
    free(b.lines);
    free(a.header);
    free(b.header);
    free(a.text);
    free(b.text);
    return same ? 0 : 1;
}
