/* qpm_dump: line output, reference CSV files and the input generator. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dump.h"

/* ---- output ------------------------------------------------------------- */

static dump_family_count families[DUMP_MAX_FAMILIES];
static size_t n_families;
static dump_family_count *current;

void dump_family(const char *family)
{
    for (size_t i = 0; i < n_families; i++)
        if (strcmp(families[i].name, family) == 0) {
            current = &families[i];
            return;
        }
    if (n_families == DUMP_MAX_FAMILIES)
        dump_die("too many families");
    current = &families[n_families++];
    snprintf(current->name, sizeof current->name, "%s", family);
    current->lines = 0;
}

size_t dump_family_counts(const dump_family_count **out)
{
    *out = families;
    return n_families;
}

static void count_line(void)
{
    if (current == NULL)
        dump_die("a line was written before any family");
    current->lines++;
}

static void put_f64(double v)
{
    if (isnan(v)) {
        uint64_t bits;
        memcpy(&bits, &v, sizeof bits);
        printf("nan:0x%016" PRIx64 "\n", bits);
    } else {
        printf("%a\n", v);
    }
}

void dump_f64(const char *name, size_t index, double v)
{
    count_line();
    printf("%s %zu ", name, index);
    put_f64(v);
}

void dump_f64k(const char *name, const char *key, double v)
{
    count_line();
    printf("%s %s ", name, key);
    put_f64(v);
}

void dump_f64s(const char *name, size_t n, const double *v, size_t stride)
{
    for (size_t i = 0; i < n; i++)
        dump_f64(name, i, v[i * stride]);
}

void dump_i64(const char *name, size_t index, long long v)
{
    count_line();
    printf("%s %zu %lld\n", name, index, v);
}

void dump_i64k(const char *name, const char *key, long long v)
{
    count_line();
    printf("%s %s %lld\n", name, key, v);
}

void dump_u64(const char *name, size_t index, uint64_t v)
{
    count_line();
    printf("%s %zu %" PRIu64 "\n", name, index, v);
}

void dump_u64k(const char *name, const char *key, uint64_t v)
{
    count_line();
    printf("%s %s %" PRIu64 "\n", name, key, v);
}

void dump_text(const char *name, const char *key, const char *text)
{
    count_line();
    printf("%s %s ", name, key);
    for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
        if (*p < 0x20 || *p == '\\' || *p == 0x7f)
            printf("\\x%02x", *p);
        else
            putchar(*p);
    }
    putchar('\n');
}

qpm_status dump_status(const char *name, qpm_status st)
{
    dump_i64k(name, "status", (long long)st);
    if (st != QPM_OK) {
        dump_text(name, "status_name", qpm_status_name(st));
        dump_text(name, "message", qpm_last_error());
    }
    return st;
}

char *dump_name(char *buf, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int len = vsnprintf(buf, DUMP_NAME, fmt, ap);
    va_end(ap);
    if (len < 0 || len >= DUMP_NAME)
        dump_die("case name too long: %s", buf);
    for (char *p = buf; *p; p++)
        if (*p == ' ')
            dump_die("case name with a space: %s", buf);
    return buf;
}

double dump_sentinel(void)
{
    uint64_t bits = DUMP_SENTINEL_BITS;
    double v;
    memcpy(&v, &bits, sizeof v);
    return v;
}

void dump_fill(double *v, size_t n)
{
    double s = dump_sentinel();
    for (size_t i = 0; i < n; i++)
        v[i] = s;
}

void dump_fill_i32(int32_t *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        v[i] = DUMP_SENTINEL_I32;
}

void dump_die(const char *fmt, ...)
{
    fflush(stdout);
    va_list ap;
    va_start(ap, fmt);
    fputs("qpm_dump: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(2);
}

void *dump_alloc(size_t nbytes)
{
    void *p = calloc(1, nbytes ? nbytes : 1);
    if (p == NULL)
        dump_die("out of memory (%zu bytes)", nbytes);
    return p;
}

/* ---- reference files ---------------------------------------------------- */

static const char *refdata_dir = ".";

void dump_set_refdata(const char *dir)
{
    refdata_dir = dir;
}

const char *dump_refdata(void)
{
    return refdata_dir;
}

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        dump_die("cannot open %s: %s (give the reference folder with --refdata DIR or "
                 "QPM_REFDATA)",
                 path, strerror(errno));
    size_t cap = 1 << 16, len = 0;
    char *buf = dump_alloc(cap);
    for (;;) {
        if (len + 1 >= cap) {
            cap *= 2;
            char *nb = realloc(buf, cap);
            if (nb == NULL)
                dump_die("out of memory reading %s", path);
            buf = nb;
        }
        size_t got = fread(buf + len, 1, cap - len - 1, f);
        len += got;
        if (got == 0)
            break;
    }
    if (ferror(f))
        dump_die("cannot read %s", path);
    fclose(f);
    buf[len] = '\0';
    return buf;
}

/* Splits a line in place at commas into fields[0..max); returns the count. */
static size_t split_line(char *line, char **fields, size_t max)
{
    size_t n = 0;
    char *p = line;
    for (;;) {
        if (fields != NULL && n < max)
            fields[n] = p;
        n++;
        char *c = strchr(p, ',');
        if (c == NULL)
            break;
        if (fields != NULL)
            *c = '\0';
        p = c + 1;
    }
    return n;
}

dump_csv *dump_csv_load(const char *file)
{
    char path[4096];
    if (snprintf(path, sizeof path, "%s/%s", refdata_dir, file) >= (int)sizeof path)
        dump_die("path too long: %s/%s", refdata_dir, file);
    dump_csv *c = dump_alloc(sizeof *c);
    c->text = read_file(path);
    /* lines: strip \r, skip empty ones */
    size_t nlines = 0;
    for (char *p = c->text; *p; p++)
        if (*p == '\n')
            nlines++;
    char **lines = dump_alloc((nlines + 1) * sizeof *lines);
    size_t nl = 0;
    for (char *p = c->text; *p;) {
        char *e = strchr(p, '\n');
        if (e != NULL)
            *e = '\0';
        size_t len = strlen(p);
        if (len > 0 && p[len - 1] == '\r')
            p[--len] = '\0';
        if (len > 0)
            lines[nl++] = p;
        if (e == NULL)
            break;
        p = e + 1;
    }
    if (nl < 2)
        dump_die("%s: no data rows", path);
    c->ncols = split_line(lines[0], NULL, 0);
    c->header = dump_alloc(c->ncols * sizeof *c->header);
    split_line(lines[0], c->header, c->ncols);
    c->nrows = nl - 1;
    c->cells = dump_alloc(c->nrows * c->ncols * sizeof *c->cells);
    for (size_t r = 0; r < c->nrows; r++) {
        size_t nf = split_line(lines[r + 1], NULL, 0);
        if (nf != c->ncols)
            dump_die("%s row %zu: %zu fields, the header has %zu", path, r, nf, c->ncols);
        split_line(lines[r + 1], c->cells + r * c->ncols, c->ncols);
    }
    free(lines);
    return c;
}

void dump_csv_free(dump_csv *c)
{
    if (c == NULL)
        return;
    free(c->header);
    free(c->cells);
    free(c->text);
    free(c);
}

size_t dump_csv_col(const dump_csv *c, const char *name)
{
    for (size_t i = 0; i < c->ncols; i++)
        if (strcmp(c->header[i], name) == 0)
            return i;
    dump_die("reference column %s not found", name);
}

const char *dump_csv_str(const dump_csv *c, size_t row, size_t col)
{
    if (row >= c->nrows || col >= c->ncols)
        dump_die("reference cell (%zu, %zu) out of range", row, col);
    return c->cells[row * c->ncols + col];
}

double dump_csv_num(const dump_csv *c, size_t row, size_t col)
{
    const char *s = dump_csv_str(c, row, col);
    if (s[0] == '\0' || strcmp(s, "nan") == 0)
        return (double)NAN;
    char *end;
    double v = strtod(s, &end);
    if (*end != '\0')
        dump_die("reference cell (%zu, %zu) = '%s' is not a number", row, col, s);
    return v;
}

/* ---- inputs -------------------------------------------------------------- */

uint64_t dump_rand_u64(dump_rand *r)
{
    uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

double dump_rand_unif(dump_rand *r)
{
    return (double)(dump_rand_u64(r) >> 11) * 0x1.0p-53;
}

double dump_rand_range(dump_rand *r, double lo, double hi)
{
    return lo + (hi - lo) * dump_rand_unif(r);
}

double dump_rand_logrange(dump_rand *r, double lo, double hi)
{
    return exp(dump_rand_range(r, log(lo), log(hi)));
}

double dump_rand_normal(dump_rand *r)
{
    double u = dump_rand_unif(r) + 0x1.0p-54, v = dump_rand_unif(r);
    return sqrt(-2.0 * log(u)) * cos(6.283185307179586 * v);
}
