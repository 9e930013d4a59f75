// Range estimators: how an activation tensor's statistics become the [lo, hi] its quantizer
// covers. A bound is a per-sample statistic times an aggregator over the samples (NNCF's
// range_estimator, POT's presets); "mse" and "kl" search a histogram instead. Each method
// also says which statistics it needs, so the calibration pass collects only those.
#pragma once
#include <string>
#include <vector>

#include "octet/quantize.hpp"
#include "quant/statistics/tensor_stats.hpp"

namespace octet::quant {

struct Range {
  float lo = 0, hi = 0;
};

// The method with "default" and named presets resolved to explicit bounds, checked.
// `symmetric`: the max bound works on |x| (abs_max, abs_quantile); the min bound only decides
// whether the range is signed. Throws naming `where` on an unknown statistic or aggregator.
RangeEstimatorOptions resolve_estimator(const RangeEstimatorOptions& options, bool symmetric, const std::string& where);

// The statistics the resolved estimator reads.
StatNeeds estimator_needs(const RangeEstimatorOptions& resolved);

// The range of a tensor. For symmetric estimators hi is the absolute bound and lo < 0 marks
// a signed tensor (lo = -hi then); lo >= 0 means the tensor never goes negative.
Range estimate_range(const TensorStats& stats, const RangeEstimatorOptions& resolved, bool symmetric);

// Aggregates per-sample values ("min", "max", "mean", "median", "mean_no_outliers",
// "median_no_outliers").
float aggregate(std::vector<float> values, const std::string& aggregator, double outlier_prob);

// Histogram searches. `unsigned_levels`: the tensor is non-negative (256 levels on [0, t]);
// else signed symmetric (127 levels each side) for the symmetric searches.
float mse_symmetric_threshold(const Histogram& h, bool unsigned_levels);
Range mse_asymmetric_range(const Histogram& h, float lo, float hi);
float kl_threshold(const Histogram& h, bool unsigned_levels);

}  // namespace octet::quant
