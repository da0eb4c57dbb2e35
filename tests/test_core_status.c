/* Core: status codes, error text, version, CPU query, allocator validation. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "qpm/qpm.h"
#include "support/testutil.h"

static const qpm_status all_codes[] = {
    QPM_OK,           QPM_E_NULL,        QPM_E_INVALID,  QPM_E_NONFINITE, QPM_E_SIZE,
    QPM_E_KEY,        QPM_E_RANGE,       QPM_E_UNSUPPORTED, QPM_E_STATE,  QPM_E_NOMEM,
    QPM_E_THREAD,     QPM_E_NOCONVERGE,  QPM_E_SINGULAR, QPM_E_NOTPSD,    QPM_E_ARBITRAGE,
    QPM_E_CANCELLED,  QPM_E_INFEASIBLE,  QPM_E_OVERFLOW,
};

Test(core_status, values_are_stable_and_grouped)
{
    cr_assert_eq(QPM_OK, 0);
    cr_assert_eq(QPM_E_NULL, 1);
    cr_assert_eq(QPM_E_STATE, 8);
    cr_assert_eq(QPM_E_NOMEM, 100);
    cr_assert_eq(QPM_E_THREAD, 101);
    cr_assert_eq(QPM_E_NOCONVERGE, 200);
    cr_assert_eq(QPM_E_ARBITRAGE, 203);
    cr_assert_eq(QPM_E_CANCELLED, 102);
    cr_assert_eq(QPM_E_INFEASIBLE, 204);
    cr_assert_eq(QPM_E_OVERFLOW, 205);
}

Test(core_status, every_code_has_distinct_name_and_text)
{
    size_t n = sizeof all_codes / sizeof all_codes[0];
    for (size_t i = 0; i < n; i++) {
        const char *name = qpm_status_name(all_codes[i]);
        const char *text = qpm_status_str(all_codes[i]);
        cr_assert_not_null(name);
        cr_assert_not_null(text);
        cr_assert_neq(strcmp(name, "QPM_E_UNKNOWN"), 0, "code %d has no name", all_codes[i]);
        cr_assert_neq(strcmp(text, "unknown status"), 0);
        for (size_t j = 0; j < i; j++)
            cr_assert_neq(strcmp(name, qpm_status_name(all_codes[j])), 0);
    }
    cr_assert_str_eq(qpm_status_name(QPM_E_INVALID), "QPM_E_INVALID");
}

Test(core_status, unknown_code_never_null)
{
    cr_assert_str_eq(qpm_status_str((qpm_status)12345), "unknown status");
    cr_assert_str_eq(qpm_status_name((qpm_status)-7), "QPM_E_UNKNOWN");
}

Test(core_status, last_error_starts_empty_and_clears)
{
    cr_assert_not_null(qpm_last_error());
    cr_assert_str_eq(qpm_last_error(), "");
    cr_assert_eq(qpm_last_status(), QPM_OK);
    qpm_clear_error();
    cr_assert_str_eq(qpm_last_error(), "");
    cr_assert_eq(qpm_last_status(), QPM_OK);
}

Test(core_version, matches_header)
{
    cr_assert_eq(qpm_version_number(), (unsigned)QPM_VERSION_NUMBER);
    char buf[64];
    snprintf(buf, sizeof buf, "%d.%d.%d", QPM_VERSION_MAJOR, QPM_VERSION_MINOR,
             QPM_VERSION_PATCH);
    cr_assert_str_eq(qpm_version_string(), buf);
}

Test(core_cpu, features_are_consistent)
{
    unsigned f = qpm_cpu_features();
    cr_assert_eq(f & ~(unsigned)(QPM_CPU_AVX2 | QPM_CPU_FMA | QPM_CPU_AVX512F | QPM_CPU_AVX512DQ |
                                 QPM_CPU_AVX512VL),
                 0u);
    if (f & QPM_CPU_AVX512DQ)
        cr_assert(f & QPM_CPU_AVX512F, "AVX-512DQ without AVX-512F");
    if (f & QPM_CPU_AVX512VL)
        cr_assert(f & QPM_CPU_AVX512F, "AVX-512VL without AVX-512F");
    if (f & QPM_CPU_AVX512F)
        cr_assert(f & QPM_CPU_AVX2, "AVX-512F without AVX2");
    cr_assert_eq(qpm_cpu_features(), f, "detection must be stable");
    cr_assert_geq(qpm_max_threads(), 1u);
}
