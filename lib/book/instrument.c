/* The instrument table: the one place that says, per qpm_instrument value,
 * what a position needs and how it is valued and moved. */
#include "book/instrument.h"

#define NEEDS_FUTURE (QPM__NEEDS_EXPIRY | QPM__NEEDS_ENTRY)
#define NEEDS_PERP   (QPM__NEEDS_PERP | QPM__NEEDS_ENTRY)
#define NEEDS_OPTION (QPM__NEEDS_EXPIRY | QPM__NEEDS_OPTION)

/* Rows in qpm_instrument order: the code is the index. */
const qpm__instr qpm__instrs[] = {
    [QPM_INSTR_SPOT] = {"spot", 0, 0, 0, QPM__REF_SPOT, QPM__SCEN_LINEAR, qpm__instr_linear_slope,
                        NULL, qpm__instr_spot_row},
    [QPM_INSTR_LINEAR_FUTURE] = {"linear future", NEEDS_FUTURE, 0, 0, QPM__REF_FORWARD,
                                 QPM__SCEN_LINEAR, qpm__instr_linear_slope, NULL,
                                 qpm__instr_linear_row},
    [QPM_INSTR_INVERSE_FUTURE] = {"inverse future", NEEDS_FUTURE, 0, 1, QPM__REF_FORWARD,
                                  QPM__SCEN_LINEAR, qpm__instr_inverse_slope, NULL,
                                  qpm__instr_inverse_row},
    [QPM_INSTR_LINEAR_PERP] = {"linear perp", NEEDS_PERP, 0, 0, QPM__REF_PERP, QPM__SCEN_LINEAR,
                               qpm__instr_linear_slope, NULL, qpm__instr_linear_row},
    [QPM_INSTR_INVERSE_PERP] = {"inverse perp", NEEDS_PERP, 0, 1, QPM__REF_PERP, QPM__SCEN_LINEAR,
                                qpm__instr_inverse_slope, NULL, qpm__instr_inverse_row},
    [QPM_INSTR_LINEAR_OPTION] = {"linear option", NEEDS_OPTION, 1, 0, QPM__REF_FORWARD,
                                 QPM__SCEN_BLACK76, NULL, qpm__instr_option_weight,
                                 qpm__instr_option_row},
    [QPM_INSTR_INVERSE_OPTION] = {"inverse option", NEEDS_OPTION, 1, 1, QPM__REF_FORWARD,
                                  QPM__SCEN_BLACK76, NULL, qpm__instr_option_weight,
                                  qpm__instr_option_row},
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

double qpm__instr_ref_price(const qpm_book *b, const qpm__book_pos *p)
{
    switch (p->kind->ref) {
    case QPM__REF_FORWARD:
        return b->exp[p->ex].F;
    case QPM__REF_PERP:
        return b->under[p->u].P;
    case QPM__REF_SPOT:
        break;
    }
    return b->under[p->u].S;
}
