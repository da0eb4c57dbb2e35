// QuantLib side of bench_heston: AnalyticHestonEngine (Gauss-Laguerre and
// adaptive Gauss-Lobatto) and COSHestonEngine on the same chain, for the
// ratio measured in the same run.  Built only when QuantLib is found.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include <ql/exercise.hpp>
#include <ql/math/optimization/endcriteria.hpp>
#include <ql/math/optimization/levenbergmarquardt.hpp>
#include <ql/models/equity/hestonmodelhelper.hpp>
#include <ql/instruments/vanillaoption.hpp>
#include <ql/models/equity/hestonmodel.hpp>
#include <ql/pricingengines/vanilla/analytichestonengine.hpp>
#include <ql/pricingengines/vanilla/coshestonengine.hpp>
#include <ql/processes/hestonprocess.hpp>
#include <ql/quotes/simplequote.hpp>
#include <ql/settings.hpp>
#include <ql/termstructures/yield/flatforward.hpp>
#include <ql/time/calendars/nullcalendar.hpp>
#include <ql/time/daycounters/actual365fixed.hpp>

extern "C" {
struct qpmb_ql_heston;
qpmb_ql_heston *qpmb_ql_heston_new(int engine, double S, double r, double q, double v0,
                                   double kappa, double theta, double sigma, double rho,
                                   std::size_t nexp, const int *days, std::size_t nk,
                                   const double *K, const std::int32_t *type);
void qpmb_ql_heston_price(qpmb_ql_heston *h, double *price);
void qpmb_ql_heston_free(qpmb_ql_heston *h);
void qpmb_ql_heston_calibrate(double S, double r, double q, const double *start, std::size_t nexp,
                              const int *days, std::size_t nk, const double *K, const double *iv,
                              int error_type, double *fitted, long *model_values,
                              int *end_type);
}

using namespace QuantLib;

struct qpmb_ql_heston {
    std::vector<ext::shared_ptr<VanillaOption>> options;
};

// engine 0: AnalyticHestonEngine(model) (Gauss-Laguerre, order 144);
// 1: AnalyticHestonEngine(model, 1e-12, 1e7) (adaptive Gauss-Lobatto);
// 2: COSHestonEngine(model) (L = 16, N = 200).  Options: nexp expiries of
// days[e] days, nk strikes each (K[e nk + i], type[e nk + i]).
qpmb_ql_heston *qpmb_ql_heston_new(int engine, double S, double r, double q, double v0,
                                   double kappa, double theta, double sigma, double rho,
                                   std::size_t nexp, const int *days, std::size_t nk,
                                   const double *K, const std::int32_t *type)
{
    Date today(15, January, 2026);
    Settings::instance().evaluationDate() = today;
    DayCounter dc = Actual365Fixed();
    Handle<YieldTermStructure> rts(ext::make_shared<FlatForward>(today, r, dc));
    Handle<YieldTermStructure> qts(ext::make_shared<FlatForward>(today, q, dc));
    Handle<Quote> s0(ext::make_shared<SimpleQuote>(S));
    auto process = ext::make_shared<HestonProcess>(rts, qts, s0, v0, kappa, theta, sigma, rho);
    auto model = ext::make_shared<HestonModel>(process);
    ext::shared_ptr<PricingEngine> eng;
    if (engine == 0)
        eng = ext::make_shared<AnalyticHestonEngine>(model);
    else if (engine == 1)
        eng = ext::make_shared<AnalyticHestonEngine>(model, 1e-12, 10000000);
    else
        eng = ext::make_shared<COSHestonEngine>(model);
    auto *h = new qpmb_ql_heston;
    for (std::size_t e = 0; e < nexp; e++) {
        auto ex = ext::make_shared<EuropeanExercise>(today + days[e]);
        for (std::size_t i = 0; i < nk; i++) {
            std::size_t j = e * nk + i;
            auto pay = ext::make_shared<PlainVanillaPayoff>(type[j] > 0 ? Option::Call : Option::Put,
                                                            K[j]);
            auto opt = ext::make_shared<VanillaOption>(pay, ex);
            opt->setPricingEngine(eng);
            h->options.push_back(opt);
        }
    }
    return h;
}

// Prices every option again (recalculate: no cached result is reused).
void qpmb_ql_heston_price(qpmb_ql_heston *h, double *price)
{
    for (std::size_t i = 0; i < h->options.size(); i++) {
        h->options[i]->recalculate();
        price[i] = h->options[i]->NPV();
    }
}

void qpmb_ql_heston_free(qpmb_ql_heston *h) { delete h; }

namespace {
// HestonModelHelper that counts its model prices (one per option per cost
// evaluation of the optimiser).
class CountingHelper : public HestonModelHelper {
  public:
    CountingHelper(long *count, const Period &maturity, const Calendar &cal, Real s0, Real strike,
                   const Handle<Quote> &vol, const Handle<YieldTermStructure> &rts,
                   const Handle<YieldTermStructure> &qts,
                   BlackCalibrationHelper::CalibrationErrorType err)
        : HestonModelHelper(maturity, cal, s0, strike, vol, rts, qts, err), count_(count)
    {
    }
    Real modelValue() const override
    {
        ++*count_;
        return HestonModelHelper::modelValue();
    }

  private:
    long *count_;
};
} // namespace

// Calibrates a HestonModel with AnalyticHestonEngine (Gauss-Laguerre) and
// LevenbergMarquardt from start (v0, kappa, theta, sigma, rho) to the
// options' implied vols iv[e nk + i], with the helpers' error error_type
// (0 relative price error, the default; 1 price error; 2 implied vol
// error); the fitted parameters into fitted[5].
void qpmb_ql_heston_calibrate(double S, double r, double q, const double *start, std::size_t nexp,
                              const int *days, std::size_t nk, const double *K, const double *iv,
                              int error_type, double *fitted, long *model_values, int *end_type)
{
    Date today(15, January, 2026);
    Settings::instance().evaluationDate() = today;
    DayCounter dc = Actual365Fixed();
    Handle<YieldTermStructure> rts(ext::make_shared<FlatForward>(today, r, dc));
    Handle<YieldTermStructure> qts(ext::make_shared<FlatForward>(today, q, dc));
    Handle<Quote> s0(ext::make_shared<SimpleQuote>(S));
    auto process = ext::make_shared<HestonProcess>(rts, qts, s0, start[0], start[1], start[2],
                                                   start[3], start[4]);
    auto model = ext::make_shared<HestonModel>(process);
    auto eng = ext::make_shared<AnalyticHestonEngine>(model);
    std::vector<ext::shared_ptr<CalibrationHelper>> helpers;
    *model_values = 0;
    for (std::size_t e = 0; e < nexp; e++)
        for (std::size_t i = 0; i < nk; i++) {
            std::size_t j = e * nk + i;
            Handle<Quote> vol(ext::make_shared<SimpleQuote>(iv[j]));
            auto h = ext::make_shared<CountingHelper>(model_values, Period(days[e], Days),
                                                      NullCalendar(), S, K[j], vol, rts, qts,
                                                      error_type == 0
                                                          ? BlackCalibrationHelper::RelativePriceError
                                                      : error_type == 1
                                                          ? BlackCalibrationHelper::PriceError
                                                          : BlackCalibrationHelper::ImpliedVolError);
            h->setPricingEngine(eng);
            helpers.push_back(h);
        }
    LevenbergMarquardt lm(1e-8, 1e-8, 1e-8);
    model->calibrate(helpers, lm, EndCriteria(400, 40, 1e-8, 1e-8, 1e-8));
    *end_type = (int)model->endCriteria();
    fitted[0] = model->v0();
    fitted[1] = model->kappa();
    fitted[2] = model->theta();
    fitted[3] = model->sigma();
    fitted[4] = model->rho();
}
