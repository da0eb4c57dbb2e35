/* Allocation through the caller's allocator. */
#include <stdlib.h>
#include <string.h>

#include "core/settings.h"

static void *default_alloc(void *ctx, size_t n)
{
    (void)ctx;
    return malloc(n);
}

static void default_free(void *ctx, void *p)
{
    (void)ctx;
    free(p);
}

qpm_status qpm__alloc_init(qpm_alloc *dst, const qpm_alloc *src)
{
    if (src == NULL) {
        dst->size = sizeof *dst;
        dst->alloc_fn = default_alloc;
        dst->free_fn = default_free;
        dst->ctx = NULL;
        return QPM_OK;
    }
    if (src->size < offsetof(qpm_alloc, ctx) + sizeof(void *))
        return qpm__fail(QPM_E_INVALID, "alloc->size = %zu: must be sizeof(qpm_alloc) = %zu",
                         src->size, sizeof(qpm_alloc));
    if (src->alloc_fn == NULL || src->free_fn == NULL)
        return qpm__fail(QPM_E_NULL, "alloc->%s is NULL", src->alloc_fn ? "free_fn" : "alloc_fn");
    *dst = *src;
    dst->size = sizeof *dst;
    return QPM_OK;
}

void *qpm__handle_new(const qpm_alloc *user, size_t size, qpm_status (*ready)(void),
                      const qpm__settings *defaults, qpm_status *st)
{
    qpm_alloc a;
    if ((*st = qpm__alloc_init(&a, user)) != QPM_OK)
        return NULL;
    if (ready != NULL && (*st = ready()) != QPM_OK)
        return NULL;
    void *h = qpm__calloc(&a, 1, size);
    if (h == NULL) {
        *st = QPM_E_NOMEM;
        return NULL;
    }
    memcpy(h, &a, sizeof a);
    if (defaults != NULL)
        qpm__settings_defaults(defaults, h);
    return h;
}

void *qpm__calloc(const qpm_alloc *a, size_t count, size_t size)
{
    if (size != 0 && count > SIZE_MAX / size) {
        qpm__fail(QPM_E_NOMEM, "allocation of %zu x %zu bytes overflows size_t", count, size);
        return NULL;
    }
    size_t n = count * size;
    void *p = a->alloc_fn(a->ctx, n ? n : 1);
    if (p == NULL) {
        qpm__fail(QPM_E_NOMEM, "allocator returned NULL for %zu bytes", n);
        return NULL;
    }
    memset(p, 0, n);
    return p;
}

void qpm__free(const qpm_alloc *a, void *p)
{
    if (p != NULL)
        a->free_fn(a->ctx, p);
}

#define QPM__ALIGN 64u

void *qpm__acalloc(const qpm_alloc *a, size_t count, size_t size)
{
    if (size != 0 && count > (SIZE_MAX - 2 * QPM__ALIGN) / size) {
        qpm__fail(QPM_E_NOMEM, "allocation of %zu x %zu bytes overflows size_t", count, size);
        return NULL;
    }
    unsigned char *raw = qpm__calloc(a, count * size + QPM__ALIGN + sizeof(void *), 1);
    if (raw == NULL)
        return NULL;
    uintptr_t base = (uintptr_t)(raw + sizeof(void *));
    uintptr_t aligned = (base + QPM__ALIGN - 1) & ~(uintptr_t)(QPM__ALIGN - 1);
    unsigned char *p = (unsigned char *)aligned;
    memcpy(p - sizeof(void *), &raw, sizeof raw);
    return p;
}

void qpm__afree(const qpm_alloc *a, void *p)
{
    if (p == NULL)
        return;
    void *raw;
    memcpy(&raw, (unsigned char *)p - sizeof(void *), sizeof raw);
    qpm__free(a, raw);
}
