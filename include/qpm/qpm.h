/* libqpm umbrella header: quantitative portfolio management for crypto
 * derivatives.  Include this, or the module headers it lists. */
#ifndef QPM_QPM_H
#define QPM_QPM_H

#include "qpm/common.h"
#include "qpm/version.h"
#include "qpm/amm.h"
#include "qpm/cov.h"
#include "qpm/book.h"
#include "qpm/carry.h"
#include "qpm/garch.h"
#include "qpm/models.h"
#include "qpm/opt.h"
#include "qpm/pricing.h"
#include "qpm/regime.h"
#include "qpm/rng.h"
#include "qpm/risk.h"
#include "qpm/stress.h"
#include "qpm/surface.h"

#endif /* QPM_QPM_H */
