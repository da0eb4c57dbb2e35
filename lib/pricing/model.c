/* The pricing models and what a pricer is allowed to combine them with. */
#include <stdio.h>

#include "pricing/black.h"
#include "pricing/model.h"

#define LINEAR  (1u << QPM_SETTLE_LINEAR)
#define INVERSE (1u << QPM_SETTLE_INVERSE)

const qpm__model qpm__models[QPM__NMODELS] = {
    [QPM_MODEL_BSM] = {"BSM", "QPM_MODEL_BSM", QPM__BSM, LINEAR | INVERSE, NULL, 1, 1,
                       QPM__IV_BLACK},
    [QPM_MODEL_BLACK76] = {"Black-76", "QPM_MODEL_BLACK76", QPM__B76, LINEAR | INVERSE, NULL, 1, 0,
                           QPM__IV_BLACK},
    [QPM_MODEL_BACHELIER] = {"Bachelier", "QPM_MODEL_BACHELIER", QPM__BACH, LINEAR,
                             "its underlying may reach zero, where a coin payoff is undefined", 0,
                             0, QPM__IV_NORMAL},
};

const char *const qpm__settle_names[QPM__NSETTLE] = {"QPM_SETTLE_LINEAR", "QPM_SETTLE_INVERSE"};

static const char *model_name(size_t i)
{
    return qpm__models[i].enum_name;
}
static const char *settle_name(size_t i)
{
    return qpm__settle_names[i];
}

/* "QPM_X (0), QPM_Y (1)": the valid values, for a message. */
static const char *valid_list(char *buf, size_t size, const char *(*name)(size_t), size_t n)
{
    size_t len = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n && len < size; i++) {
        int w = snprintf(buf + len, size - len, "%s%s (%zu)", i ? ", " : "", name(i), i);
        if (w < 0)
            break;
        len += (size_t)w;
    }
    return buf;
}

const qpm__model *qpm__model_find(qpm_model model, qpm_settlement settle, qpm_status *st)
{
    char valid[160];
    if ((int)model < 0 || (int)model >= QPM__NMODELS) {
        *st = qpm__fail(QPM_E_INVALID, "model = %d: must be one of %s", (int)model,
                        valid_list(valid, sizeof valid, model_name, QPM__NMODELS));
        return NULL;
    }
    if ((int)settle < 0 || (int)settle >= QPM__NSETTLE) {
        *st = qpm__fail(QPM_E_INVALID, "settle = %d: must be one of %s", (int)settle,
                        valid_list(valid, sizeof valid, settle_name, QPM__NSETTLE));
        return NULL;
    }
    const qpm__model *m = &qpm__models[model];
    if (!(m->settlements & (1u << settle))) {
        *st = qpm__fail(QPM_E_UNSUPPORTED, "settle = %s: not provided for the %s model (%s)",
                        qpm__settle_names[settle], m->name, m->why_not);
        return NULL;
    }
    *st = QPM_OK;
    return m;
}
