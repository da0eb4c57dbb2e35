/* Internal layout of the qpm_book handle, shared by its source files.  Not
 * installed. */
#ifndef QPM_BOOK_INTERNAL_H
#define QPM_BOOK_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "core/internal.h"
#include "qpm/book.h"
#include "qpm/pricing.h"

#define QPM__BOOK_NAME_MAX 64u  /* bytes including the terminating NUL */
#define QPM__BOOK_CHUNK 64u     /* scenarios per work chunk */
#define QPM__BOOK_BATCH 1024u   /* options per pricer call in the P&L loop */
#define QPM__BOOK_MAX_RATE 5.0  /* |r| bound: keeps |r T| within the pricer's 700 */
#define QPM__BOOK_MAX_T 100.0

typedef struct qpm__book_under {
    char name[QPM__BOOK_NAME_MAX];
    double S, r, P; /* P is NaN until set */
    /* derived by qpm__book_prepare */
    double slope;       /* USD P&L of the linear positions per unit move x */
    double pmin, pmax;  /* smallest and largest of S, P and the forwards */
    double smin, smax;  /* smallest and largest option vol (0 without options) */
} qpm__book_under;

typedef struct qpm__book_expiry {
    size_t u;
    int32_t id;
    double F, T;
} qpm__book_expiry;

typedef struct qpm__book_pos {
    int32_t instr;
    int32_t type;
    size_t u;
    size_t ex; /* expiry row, SIZE_MAX when none applies */
    double K, Q, m, e, sig;
} qpm__book_pos;

/* The options of the book as the pricer's structure-of-arrays (n rows), with
 * their base Black-76 values and Greeks (filled by qpm__book_prepare). */
typedef struct qpm__book_opts {
    size_t n;
    void *mem;
    double *F, *K, *T, *r, *sig, *w; /* w: USD value per unit of B */
    double *B, *dB, *gB, *vB, *tB;
    int32_t *type;
    size_t *pos, *u;
} qpm__book_opts;

/* Scratch of one worker thread for the P&L loop. */
typedef struct qpm__book_worker {
    qpm_pricer *pricer;
    void *mem;
    double *F, *sig, *B; /* cap each */
    qpm_status status;
} qpm__book_worker;

/* Everything that depends on the option count and the thread count:
 * built whole and swapped in, so that a failed rebuild leaves the old one. */
typedef struct qpm__book_engine {
    unsigned nthreads;
    size_t spp; /* scenarios per pricer call */
    size_t cap; /* spp * number of options */
    void *mem;  /* replicated K, T, r, type (cap each) */
    double *K, *T, *r;
    int32_t *type;
    qpm__book_worker *w; /* nthreads */
} qpm__book_engine;

struct qpm_book {
    qpm_alloc alloc;
    qpm__book_under *under;
    size_t n_under, cap_under;
    qpm__book_expiry *exp;
    size_t n_exp, cap_exp;
    qpm__book_pos *pos;
    size_t n_pos, cap_pos;
    qpm__book_opts opts;
    qpm__book_engine eng;
    qpm__pool *pool;
    int prepared;
};

/* Computes the derived data (option arrays, base values and Greeks,
 * linear slopes, bounds for the scenario checks) after a change of market or
 * positions.  Allocates nothing. */
qpm_status qpm__book_prepare(qpm_book *b);

/* Builds the engine for `nopt` options and `nthreads` threads into *eng. */
qpm_status qpm__book_engine_build(const qpm_alloc *a, qpm__book_engine *eng, size_t nopt,
                                  unsigned nthreads);
void qpm__book_engine_free(const qpm_alloc *a, qpm__book_engine *eng);

#endif /* QPM_BOOK_INTERNAL_H */
