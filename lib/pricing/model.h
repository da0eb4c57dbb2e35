/* The pricing models, one row each: what the pricer's checks, messages and
 * implied-volatility route need to know about a model.  The kernels
 * (black.h) take the row's kernel id.  Not installed.
 *
 * A new model adds its value to qpm_model (pricing.h), a row in model.c and,
 * where its prices are not Black or Bachelier ones, a kernel and an IV
 * route. */
#ifndef QPM_PRICING_MODEL_H
#define QPM_PRICING_MODEL_H

#include "core/internal.h"
#include "qpm/pricing.h"

/* How implied volatilities are solved. */
typedef enum qpm__iv_route {
    QPM__IV_NORMAL = 0, /* Bachelier's normal vol, one option at a time */
    QPM__IV_BLACK = 1   /* the batch Black-76 solver on the forward (and USD prices) */
} qpm__iv_route;

typedef struct qpm__model {
    const char *name;      /* in messages: "Black-76" */
    const char *enum_name; /* "QPM_MODEL_BLACK76" */
    int kernel;            /* QPM__BSM, QPM__B76 or QPM__BACH (black.h) */
    unsigned settlements;  /* bit 1u << s for each qpm_settlement s served */
    const char *why_not;   /* why the other settlements are not served */
    int lognormal;         /* underlying and strike must be > 0 (else finite) */
    int carry;             /* takes the yield q; the underlying is spot, not the forward */
    qpm__iv_route iv;
} qpm__model;

#define QPM__NMODELS 3
#define QPM__NSETTLE 2
extern const qpm__model qpm__models[QPM__NMODELS];
extern const char *const qpm__settle_names[QPM__NSETTLE];

/* The row of `model` with `settle` checked against it: NULL with
 * QPM_E_INVALID (unknown value, naming the valid ones) or QPM_E_UNSUPPORTED
 * (a settlement the model does not serve) recorded in *st. */
const qpm__model *qpm__model_find(qpm_model model, qpm_settlement settle, qpm_status *st);

#endif /* QPM_PRICING_MODEL_H */
