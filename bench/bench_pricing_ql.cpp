// QuantLib side of bench_pricing: BlackCalculator on the same inputs, for the
// ratio measured in the same run.  Built only when QuantLib is found.
#include <cmath>
#include <cstddef>
#include <cstdint>

#include <ql/pricingengines/blackcalculator.hpp>

extern "C" void qpmb_ql_bsm(std::size_t n, const double *S, const double *K, const double *T,
                            const double *r, const double *q, const double *sigma,
                            const std::int32_t *type, double *price, double *delta, double *gamma,
                            double *vega, double *theta, double *rho);

// BSM on spot through Black's formula on the forward, as a user of QuantLib
// writes it: forward S e^{(r-q)T}, std dev sigma sqrt(T), discount e^{-rT};
// price, delta, gamma (spot), vega, theta (per year) and rho.
extern "C" void qpmb_ql_bsm(std::size_t n, const double *S, const double *K, const double *T,
                            const double *r, const double *q, const double *sigma,
                            const std::int32_t *type, double *price, double *delta, double *gamma,
                            double *vega, double *theta, double *rho)
{
    using QuantLib::BlackCalculator;
    using QuantLib::Option;
    for (std::size_t i = 0; i < n; i++) {
        double fwd = S[i] * std::exp((r[i] - q[i]) * T[i]);
        double df = std::exp(-r[i] * T[i]);
        BlackCalculator bc(type[i] > 0 ? Option::Call : Option::Put, K[i], fwd,
                           sigma[i] * std::sqrt(T[i]), df);
        price[i] = bc.value();
        delta[i] = bc.delta(S[i]);
        gamma[i] = bc.gamma(S[i]);
        vega[i] = bc.vega(T[i]);
        theta[i] = bc.theta(S[i], T[i]);
        rho[i] = bc.rho(T[i]);
    }
}
