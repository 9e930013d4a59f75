// Scale unification: quantizers in one UnifyGroup (directly or through a shared member) get
// one range, the union of their calibrated ranges, so Concat copies bytes, a pool keeps its
// input's scale and residual summands add as integers.
#pragma once
#include "quant/algorithms/quant_setup.hpp"

namespace octet::quant {

// Sets every grouped quantizer's range to its merged group's union and notes it in `estimator`.
// Quantizers without readers do not widen a group.
void unify_scales(QuantSetup& setup);

}  // namespace octet::quant
