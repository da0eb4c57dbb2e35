/* The generic half of every handle's settings: checks, messages, storage. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/settings.h"

const qpm__setting *qpm__settings_find(const qpm__settings *t, int key)
{
    /* keys are few (at most a dozen per handle) and need not be dense */
    for (size_t i = 0; i < t->n; i++)
        if (t->rows[i].key == key)
            return &t->rows[i];
    return NULL;
}

const qpm__setting *qpm__settings_row(const qpm__settings *t, int key)
{
    const qpm__setting *s = qpm__settings_find(t, key);
    if (s == NULL)
        qpm__fail(QPM_E_KEY, "key = %d: not a %s", key, t->key_type);
    return s;
}

qpm_status qpm__settings_bounds(const qpm__settings *t, int key, double *lo, double *hi)
{
    QPM__CHECK_NULL(lo, "lo");
    QPM__CHECK_NULL(hi, "hi");
    const qpm__setting *s = qpm__settings_row(t, key);
    if (s == NULL)
        return QPM_E_KEY;
    *lo = s->lo;
    *hi = s->hi;
    return QPM_OK;
}

static int is_whole(double v)
{
    return v == floor(v);
}

/* v with the fewest significant digits that read back as v ("1e-20", not
 * "9.9999999999999995e-21"), without an exponent below 1e17 ("1000", not
 * "1e+03"). */
typedef struct num_text {
    char s[32];
} num_text;

static num_text shortest(double v)
{
    num_text t;
    int prec = 1;
    for (; prec < 17; prec++) {
        snprintf(t.s, sizeof t.s, "%.*g", prec, v);
        if (!isfinite(v) || strtod(t.s, NULL) == v)
            break;
    }
    double a = fabs(v);
    if (a >= 1.0 && a < 1e17) {
        int digits = (int)floor(log10(a)) + 1;
        if (digits > prec)
            prec = digits;
    }
    snprintf(t.s, sizeof t.s, "%.*g", prec, v);
    return t;
}

/* QPM_E_RANGE naming the setting, the value and what it may be. */
static qpm_status range_error(const qpm__setting *s, double value)
{
    num_text t = shortest(value);
    const char *v = t.s;
    if (s->type == QPM__SET_BOOL)
        return qpm__fail(QPM_E_RANGE, "%s = %s: must be 0 or 1", s->name, v);
    if (s->type == QPM__SET_ENUM && s->labels != NULL) {
        char list[384];
        size_t len = 0;
        list[0] = '\0';
        for (double x = s->lo; x <= s->hi && len < sizeof list; x += 1.0) {
            int w = snprintf(list + len, sizeof list - len, "%s%s (%.0f)", x > s->lo ? ", " : "",
                             s->labels[(size_t)(x - s->lo)], x);
            if (w < 0)
                break;
            len += (size_t)w;
        }
        return qpm__fail(QPM_E_RANGE, "%s = %s: must be one of %s", s->name, v, list);
    }
    if (s->type == QPM__SET_INTEGER && value >= s->lo && value <= s->hi)
        return qpm__fail(QPM_E_RANGE, "%s = %s: must be a whole number", s->name, v);
    if (s->range != NULL)
        return qpm__fail(QPM_E_RANGE, "%s = %s: must be in %s", s->name, v, s->range);
    return qpm__fail(QPM_E_RANGE, "%s = %s: must be %sin [%s, %s]", s->name, v,
                     s->type == QPM__SET_INTEGER ? "a whole number " : "", shortest(s->lo).s,
                     shortest(s->hi).s);
}

/* Each storage type as a put/get pair; QPM__STORE_NONE has none. */
#define ACCESS(name, T)                                                                            \
    static void put_##name(void *at, double v)                                                     \
    {                                                                                              \
        T x = (T)v;                                                                                \
        memcpy(at, &x, sizeof x);                                                                  \
    }                                                                                              \
    static double get_##name(const void *at)                                                       \
    {                                                                                              \
        T x;                                                                                       \
        memcpy(&x, at, sizeof x);                                                                  \
        return (double)x;                                                                          \
    }
ACCESS(int, int)
ACCESS(unsigned, unsigned)
ACCESS(size, size_t)
ACCESS(double, double)
#undef ACCESS

static const struct {
    void (*put)(void *at, double v);
    double (*get)(const void *at);
} access[] = {
    [QPM__STORE_NONE] = {NULL, NULL},
    [QPM__STORE_INT] = {put_int, get_int},
    [QPM__STORE_UNSIGNED] = {put_unsigned, get_unsigned},
    [QPM__STORE_SIZE] = {put_size, get_size},
    [QPM__STORE_DOUBLE] = {put_double, get_double},
};

static void store(void *handle, const qpm__setting *s, double value)
{
    if (access[s->store].put != NULL)
        access[s->store].put((unsigned char *)handle + s->offset, value);
}

/* A read-only constant is stored nowhere: it reads as its default. */
static double load(const void *handle, const qpm__setting *s)
{
    if (access[s->store].get == NULL)
        return s->def;
    return access[s->store].get((const unsigned char *)handle + s->offset);
}

qpm_status qpm__settings_set(const qpm__settings *t, void *handle, int key, double value)
{
    const qpm__setting *s = qpm__settings_row(t, key);
    if (s == NULL)
        return QPM_E_KEY;
    if (s->read_only)
        return qpm__fail(QPM_E_KEY, "key = %s: read-only", s->name);
    /* NaN fails the bounds test */
    if (!(value >= s->lo && value <= s->hi) || (s->type != QPM__SET_REAL && !is_whole(value)))
        return range_error(s, value);
    if (s->hook != NULL) {
        qpm_status st = s->hook(handle, &value);
        if (st != QPM_OK)
            return st;
    }
    store(handle, s, value);
    return QPM_OK;
}

qpm_status qpm__settings_get(const qpm__settings *t, const void *handle, int key, double *value)
{
    QPM__CHECK_NULL(value, "value");
    const qpm__setting *s = qpm__settings_row(t, key);
    if (s == NULL)
        return QPM_E_KEY;
    *value = load(handle, s);
    return QPM_OK;
}

void qpm__settings_defaults(const qpm__settings *t, void *handle)
{
    for (size_t i = 0; i < t->n; i++)
        store(handle, &t->rows[i], t->rows[i].def);
}

qpm_status qpm__settings_describe(const qpm__settings *t, int key, qpm_setting_info *info)
{
    QPM__CHECK_NULL(info, "info");
    if (info->size < sizeof *info)
        return qpm__fail(QPM_E_INVALID, "info->size = %zu: must be sizeof(qpm_setting_info) = %zu",
                         info->size, sizeof *info);
    const qpm__setting *s = qpm__settings_row(t, key);
    if (s == NULL)
        return QPM_E_KEY;
    /* fields a newer caller's larger struct has past ours are left alone */
    info->name = s->name;
    info->type = (qpm_setting_type)s->type;
    info->read_only = s->read_only;
    info->lo = s->lo;
    info->hi = s->hi;
    info->def = s->def;
    info->labels = s->labels;
    return QPM_OK;
}

qpm_status qpm__settings_threads(qpm__pool **pool, const qpm_alloc *a, unsigned current,
                                 double value)
{
    unsigned nt = (unsigned)value;
    if (nt == current)
        return QPM_OK;
    qpm__pool *np = NULL;
    if (nt > 1) {
        qpm_status st = qpm__pool_create(&np, a, nt);
        if (st != QPM_OK)
            return st;
    }
    qpm__pool_free(*pool);
    *pool = np;
    return QPM_OK;
}
