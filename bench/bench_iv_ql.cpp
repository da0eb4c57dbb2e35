// QuantLib side of bench_iv: blackFormulaImpliedStdDev on the same prices,
// for the ratio measured in the same run.  Built only when QuantLib is found.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <limits>

#include <ql/pricingengines/blackformula.hpp>

extern "C" std::size_t qpmb_ql_implied_vol(std::size_t n, const std::int32_t *type, const double *F,
                                           const double *K, const double *T, const double *price,
                                           double accuracy, double *sigma);

// Undiscounted Black-76 implied volatility (discount 1, no displacement, no
// guess, at most 100 iterations), as a QuantLib user calls it; returns the
// number of failures (exceptions), whose sigma is set to NaN.
extern "C" std::size_t qpmb_ql_implied_vol(std::size_t n, const std::int32_t *type, const double *F,
                                           const double *K, const double *T, const double *price,
                                           double accuracy, double *sigma)
{
    using QuantLib::Option;
    std::size_t fails = 0;
    for (std::size_t i = 0; i < n; i++) {
        try {
            double sd = QuantLib::blackFormulaImpliedStdDev(type[i] > 0 ? Option::Call : Option::Put,
                                                            K[i], F[i], price[i], 1.0, 0.0,
                                                            QuantLib::Null<QuantLib::Real>(),
                                                            accuracy, 100);
            sigma[i] = sd / std::sqrt(T[i]);
        } catch (const std::exception &) {
            sigma[i] = std::numeric_limits<double>::quiet_NaN();
            fails++;
        }
    }
    return fails;
}
