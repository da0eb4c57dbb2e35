/* The instrument table: the one place that says, per qpm_instrument value,
 * what a position needs and how it is valued and moved. */
#include <stdio.h>

#include "book/instrument.h"

#define NEEDS_FUTURE (QPM__NEEDS_EXPIRY | QPM__NEEDS_ENTRY)
#define NEEDS_PERP   (QPM__NEEDS_PERP | QPM__NEEDS_ENTRY)
#define NEEDS_OPTION (QPM__NEEDS_EXPIRY | QPM__NEEDS_OPTION)

/* The two families of today: delta-one kinds (value linear in the price
 * they are marked at, ref) and Black-76 options. */
#define DELTA1(name, needs, inverse, ref, kind, slope, funding, margin)                            \
    {                                                                                              \
        name, needs, 0, inverse, QPM__REF_##ref, QPM__SCEN_LINEAR, qpm__instr_##slope##_slope,     \
            NULL, qpm__instr_##kind##_row, funding, margin                                         \
    }
#define OPTION(name, inverse)                                                                      \
    {                                                                                              \
        name, NEEDS_OPTION, 1, inverse, QPM__REF_FORWARD, QPM__SCEN_BLACK76, NULL,                 \
            qpm__instr_option_weight, qpm__instr_option_row, NULL, qpm__instr_option_margin        \
    }

/* Rows in qpm_instrument order: the code is the index.  DELTA1 fields:
 * name, needs, inverse, ref, row functions (instr_<kind>.c), slope,
 * funding (perps). */
const qpm__instr qpm__instrs[] = {
    [QPM_INSTR_SPOT] = DELTA1("spot", 0, 0, SPOT, spot, linear, NULL, NULL),
    [QPM_INSTR_LINEAR_FUTURE] = DELTA1("linear future", NEEDS_FUTURE, 0, FORWARD, linear, linear,
                                       NULL, qpm__instr_linear_margin),
    [QPM_INSTR_INVERSE_FUTURE] = DELTA1("inverse future", NEEDS_FUTURE, 1, FORWARD, inverse,
                                        inverse, NULL, qpm__instr_inverse_margin),
    [QPM_INSTR_LINEAR_PERP] = DELTA1("linear perp", NEEDS_PERP, 0, PERP, linear, linear,
                                     qpm__instr_linear_funding, qpm__instr_linear_margin),
    [QPM_INSTR_INVERSE_PERP] = DELTA1("inverse perp", NEEDS_PERP, 1, PERP, inverse, inverse,
                                      qpm__instr_inverse_funding, qpm__instr_inverse_margin),
    [QPM_INSTR_LINEAR_OPTION] = OPTION("linear option", 0),
    [QPM_INSTR_INVERSE_OPTION] = OPTION("inverse option", 1),
    [QPM_INSTR_AMM_V2] = {"AMM v2 share", QPM__NEEDS_LIQ, 0, 0, QPM__REF_SPOT, QPM__SCEN_AMM, NULL,
                          NULL, qpm__instr_amm_row, NULL, NULL},
    [QPM_INSTR_AMM_V3] = {"AMM v3 range", QPM__NEEDS_LIQ | QPM__NEEDS_RANGE, 0, 0, QPM__REF_SPOT,
                          QPM__SCEN_AMM, NULL, NULL, qpm__instr_amm_row, NULL, NULL},
};

#define N_INSTRS (sizeof qpm__instrs / sizeof qpm__instrs[0])

const qpm__instr *qpm__instr_find(int32_t code)
{
    /* a hole in the designated initialisers would leave a row without a
     * name: refused like a code past the end */
    if (code < 0 || (size_t)code >= N_INSTRS || qpm__instrs[code].name == NULL)
        return NULL;
    return &qpm__instrs[code];
}

qpm_status qpm__instr_unknown(size_t i, int32_t code)
{
    char list[256];
    size_t len = 0;
    for (size_t k = 0; k < N_INSTRS && len < sizeof list; k++)
        if (qpm__instrs[k].name != NULL)
            len += (size_t)snprintf(list + len, sizeof list - len, "%s%zu (%s)", len ? ", " : "", k,
                                    qpm__instrs[k].name);
    return qpm__fail(QPM_E_INVALID,
                     "position %zu: instrument = %d: not a qpm_instrument; the codes are %s", i,
                     (int)code, list);
}

double qpm__instr_ref_price(const qpm_book *b, const qpm__book_pos *p)
{
    switch (qpm__pos_kind(p)->ref) {
    case QPM__REF_FORWARD:
        return b->exp[p->ex].F;
    case QPM__REF_PERP:
        return b->under[p->u].P;
    case QPM__REF_SPOT:
        break;
    }
    return b->under[p->u].S;
}
