/* The consumer program of the integration tests: built against libqpm as a
 * meson subproject (meson.build), through pkg-config and through the CMake
 * package (CMakeLists.txt).  Prices one European call and checks it against
 * the reference value (tests/data/refdata/bsm_public.csv, case 0). */
#include <math.h>
#include <stdio.h>

#include <qpm/qpm.h>

int main(void)
{
    const double S = 6883.11, K = 7440.31, T = 0.1643835616438356, r = 0.0672, q = -0.0386,
                 sigma = 0.191, want = 68.7310767023418;
    const int32_t type = QPM_CALL;
    double price = 0.0;
    qpm_pricer *p = NULL;
    qpm_status st = qpm_pricer_create(&p, NULL, QPM_MODEL_BSM, QPM_SETTLE_LINEAR);
    if (st == QPM_OK) {
        qpm_pricer_out out = {.size = sizeof out, .price = &price};
        st = qpm_pricer_price(p, 1, &S, &K, &T, &r, &q, &sigma, &type, &out);
    }
    qpm_pricer_free(p);
    if (st != QPM_OK) {
        fprintf(stderr, "%s: %s\n", qpm_status_name(st), qpm_last_error());
        return 1;
    }
    printf("libqpm %s: call %.12g (reference %.12g)\n", qpm_version_string(), price, want);
    return fabs(price - want) <= 1e-9 * want ? 0 : 1;
}
