/* qpm_dump: shared helpers of the results dump (see qpm_dump.c).
 *
 * Output format, one line per value:
 *     <case> <index> <value>
 * <case> is "<family>.<what>..." without spaces (the family is rng, pricing,
 * ...), <index> an element index or a short name, and <value> one of
 *     a double as C's %a (exact: "0x1.8p+1", "-0x0p+0", "inf"), a NaN as
 *     "nan:0x<16 hex digits of its bits>" (the payload shows);
 *     an integer in decimal;
 *     text (status names, error messages): the rest of the line, with bytes
 *     below 0x20 and backslashes written as \xNN.
 * Lines starting with '#' describe the run (library version and path, CPU,
 * kernels) and are not results.  Every (case, index) pair is unique.
 *
 * Outputs of a call are pre-filled with DUMP_SENTINEL (a NaN with its own
 * payload): a value the library did not write shows up as that NaN. */
#ifndef QPM_DUMP_H
#define QPM_DUMP_H

#include <stddef.h>
#include <stdint.h>

#include <qpm/qpm.h>

#define DUMP_NAME 192

/* bits of the NaN written into outputs before each call */
#define DUMP_SENTINEL_BITS 0x7ff8dead0000beefull
#define DUMP_SENTINEL_I32  0x5a5a5a5a

/* ---- output ------------------------------------------------------------- */

/* Starts the lines of a family (counted for the summary on stderr). */
void dump_family(const char *family);
#define DUMP_MAX_FAMILIES 16
typedef struct dump_family_count {
    char name[32];
    size_t lines;
} dump_family_count;
size_t dump_family_counts(const dump_family_count **out);
void dump_f64(const char *name, size_t index, double v);
void dump_f64k(const char *name, const char *key, double v);
/* n values, indices 0..n-1, from v[i * stride] */
void dump_f64s(const char *name, size_t n, const double *v, size_t stride);
void dump_i64(const char *name, size_t index, long long v);
void dump_i64k(const char *name, const char *key, long long v);
void dump_u64(const char *name, size_t index, uint64_t v);
void dump_u64k(const char *name, const char *key, uint64_t v);
void dump_text(const char *name, const char *key, const char *text);
/* "<name> status <code>" and, when the code is not QPM_OK, the name of the
 * code and qpm_last_error() ("status_name", "message").  Returns st. */
qpm_status dump_status(const char *name, qpm_status st);
/* Formats a case name into buf (DUMP_NAME bytes); returns buf. */
char *dump_name(char *buf, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Fills n doubles with DUMP_SENTINEL / n int32_t with DUMP_SENTINEL_I32. */
void dump_fill(double *v, size_t n);
void dump_fill_i32(int32_t *v, size_t n);
double dump_sentinel(void);

/* Prints a message to stderr and exits with status 2 (the tool itself could
 * not run: missing reference file, out of memory). */
void dump_die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void *dump_alloc(size_t nbytes); /* calloc or die */

/* ---- reference files ---------------------------------------------------- */

typedef struct dump_csv {
    size_t ncols, nrows;
    char **header; /* ncols */
    char **cells;  /* nrows * ncols, row-major */
    char *text;    /* the file, split in place */
} dump_csv;

/* Reads <refdata>/<file>; dies when it cannot. */
dump_csv *dump_csv_load(const char *file);
void dump_csv_free(dump_csv *c);
size_t dump_csv_col(const dump_csv *c, const char *name); /* dies when absent */
const char *dump_csv_str(const dump_csv *c, size_t row, size_t col);
/* strtod of the field (correctly rounded); NaN for "nan" or empty. */
double dump_csv_num(const dump_csv *c, size_t row, size_t col);
/* Sets the reference folder (see qpm_dump.c for the search order). */
void dump_set_refdata(const char *dir);
const char *dump_refdata(void);

/* ---- inputs --------------------------------------------------------------
 * The tool draws its random inputs from its own generator (splitmix64), not
 * from libqpm's, so that a change of the library's generators changes only
 * the rng results, not every input. */
typedef struct dump_rand {
    uint64_t s;
} dump_rand;

uint64_t dump_rand_u64(dump_rand *r);
double dump_rand_unif(dump_rand *r);                        /* [0, 1) */
double dump_rand_range(dump_rand *r, double lo, double hi); /* [lo, hi) */
double dump_rand_logrange(dump_rand *r, double lo, double hi);
double dump_rand_normal(dump_rand *r);

/* ---- families ------------------------------------------------------------ */
void dump_core(void);
void dump_rng(void);
void dump_pricing(void);
void dump_cov(void);
void dump_book(void);
void dump_opt(void);
void dump_risk(void);

/* The reference book (book_market/positions_public.csv) in a new handle;
 * NULL after printing the failing status under `name`. */
qpm_book *dump_reference_book(const char *name);

/* Pricer kernels this CPU offers (QPM_PRICER_KERNEL values 1..3), as a bit
 * mask 1 << k, found by asking a pricer. */
unsigned dump_pricer_kernels(void);

#endif
