// Statistic x aggregator range estimators and preset resolution; see range_estimator.hpp.
#include "quant/ranges/range_estimator.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "octet/error.hpp"

namespace octet::quant {
namespace {

const std::vector<std::string> kStatistics = {"min", "max", "abs_max", "quantile", "abs_quantile"};
const std::vector<std::string> kAggregators = {"min", "max", "mean", "median", "mean_no_outliers",
                                               "median_no_outliers"};
const std::vector<std::string> kMethods = {"default", "min_max", "mean_min_max", "quantile", "mse", "kl", "custom"};

bool contains(const std::vector<std::string>& list, const std::string& s) {
  return std::find(list.begin(), list.end(), s) != list.end();
}

std::string joined(const std::vector<std::string>& list) {
  std::string s;
  for (const auto& x : list) s += (s.empty() ? "" : ", ") + x;
  return s;
}

void check_bound(const BoundEstimator& b, const char* which, const std::string& where) {
  if (!contains(kStatistics, b.statistic))
    fail(where, ": unknown ", which, " statistic '", b.statistic, "' (one of: ", joined(kStatistics), ")");
  if (!contains(kAggregators, b.aggregator))
    fail(where, ": unknown ", which, " aggregator '", b.aggregator, "' (one of: ", joined(kAggregators), ")");
  if (!(b.outlier_prob > 0 && b.outlier_prob < 0.5))
    fail(where, ": ", which, " outlier_prob ", b.outlier_prob, " must be in (0, 0.5)");
}

// The per-sample values a bound aggregates.
std::vector<float> per_sample(const TensorStats& s, const BoundEstimator& b, bool is_max) {
  auto missing = [&]() -> std::vector<float> {
    fail("statistics of tensor '", s.name, "' lack the per-sample ", b.statistic, " the range estimator needs");
  };
  if (b.statistic == "min") return s.sample_min.empty() ? missing() : s.sample_min;
  if (b.statistic == "max") return s.sample_max.empty() ? missing() : s.sample_max;
  if (b.statistic == "abs_max") return s.sample_absmax.empty() ? missing() : s.sample_absmax;
  if (b.statistic == "quantile") {
    auto it = s.sample_quantile.find(is_max ? 1.0 - b.outlier_prob : b.outlier_prob);
    return it == s.sample_quantile.end() ? missing() : it->second;
  }
  auto it = s.sample_abs_quantile.find(1.0 - b.outlier_prob);
  return it == s.sample_abs_quantile.end() ? missing() : it->second;
}

}  // namespace

RangeEstimatorOptions resolve_estimator(const RangeEstimatorOptions& options, bool symmetric, const std::string& where) {
  if (!contains(kMethods, options.method))
    fail(where, ": unknown range estimator '", options.method, "' (one of: ", joined(kMethods), ")");
  if (options.histogram_bins < 64 || options.histogram_bins > (1 << 20))
    fail(where, ": histogram_bins ", options.histogram_bins, " must be in [64, 1048576]");
  RangeEstimatorOptions r = options;
  const std::string max_stat = symmetric ? "abs_max" : "max";
  const std::string q_stat = symmetric ? "abs_quantile" : "quantile";
  if (options.method == "default") {
    // POT's DefaultQuantization: the lowest per-sample minimum, the mean per-sample maximum.
    r.min = {"min", "min", 1e-4};
    r.max = {max_stat, "mean", 1e-4};
  } else if (options.method == "min_max") {
    r.min = {"min", "min", 1e-4};
    r.max = {max_stat, "max", 1e-4};
  } else if (options.method == "mean_min_max") {
    r.min = {"min", "mean", 1e-4};
    r.max = {max_stat, "mean", 1e-4};
  } else if (options.method == "quantile") {
    r.min = {"quantile", "mean", 1e-4};
    r.max = {q_stat, "mean", 1e-4};
  } else if (options.method == "mse" || options.method == "kl") {
    r.min = {"min", "min", 1e-4};  // the global extremes bound the histogram search
    r.max = {max_stat, "max", 1e-4};
  } else {  // custom
    if (symmetric && r.max.statistic == "max") r.max.statistic = "abs_max";
    if (symmetric && r.max.statistic == "quantile") r.max.statistic = "abs_quantile";
  }
  check_bound(r.min, "min", where);
  check_bound(r.max, "max", where);
  if (r.min.statistic == "abs_max" || r.min.statistic == "abs_quantile")
    fail(where, ": the min bound cannot use an absolute statistic ('", r.min.statistic, "')");
  return r;
}

StatNeeds estimator_needs(const RangeEstimatorOptions& r) {
  StatNeeds n;
  n.min_max = true;  // cheap, and always needed to tell signed from non-negative tensors
  for (const BoundEstimator* b : {&r.min, &r.max}) {
    const bool is_max = b == &r.max;
    if (b->statistic == "quantile") n.quantiles.push_back(is_max ? 1.0 - b->outlier_prob : b->outlier_prob);
    if (b->statistic == "abs_quantile") n.abs_quantiles.push_back(1.0 - b->outlier_prob);
  }
  if (r.method == "mse" || r.method == "kl") n.histogram_bins = r.histogram_bins;
  return n;
}

float aggregate(std::vector<float> v, const std::string& aggregator, double outlier_prob) {
  if (v.empty()) fail("range estimator: no samples to aggregate");
  if (aggregator == "min") return *std::min_element(v.begin(), v.end());
  if (aggregator == "max") return *std::max_element(v.begin(), v.end());
  const bool no_outliers = aggregator.size() > 12 && aggregator.compare(aggregator.size() - 12, 12, "_no_outliers") == 0;
  if (no_outliers) {
    // Drop the samples outside the [p, 1-p] quantiles of the per-sample values (NNCF).
    std::vector<float> sorted = v;
    const float lo = quantile_in_place(sorted, outlier_prob), hi = quantile_in_place(sorted, 1.0 - outlier_prob);
    std::vector<float> kept;
    for (float x : v)
      if (x >= lo && x <= hi) kept.push_back(x);
    if (!kept.empty()) v = std::move(kept);
  }
  if (aggregator == "mean" || aggregator == "mean_no_outliers") {
    double s = 0;
    for (float x : v) s += x;
    return static_cast<float>(s / static_cast<double>(v.size()));
  }
  if (aggregator == "median" || aggregator == "median_no_outliers") return quantile_in_place(v, 0.5);
  fail("range estimator: unknown aggregator '", aggregator, "'");
}

Range estimate_range(const TensorStats& s, const RangeEstimatorOptions& r, bool symmetric) {
  if (s.samples == 0) fail("statistics of tensor '", s.name, "' hold no samples");
  Range range;
  if (r.method == "mse" || r.method == "kl") {
    if (s.needs.histogram_bins <= 0) fail("statistics of tensor '", s.name, "' lack the histogram ", r.method, " needs");
    const bool non_negative = s.min >= 0;
    if (symmetric || non_negative) {
      const float t = r.method == "mse" ? mse_symmetric_threshold(s.histogram, non_negative)
                                        : kl_threshold(s.histogram, non_negative);
      range = non_negative ? Range{0, t} : Range{-t, t};
    } else if (r.method == "mse") {
      range = mse_asymmetric_range(s.histogram, s.min, s.max);
    } else {
      const float t = kl_threshold(s.histogram, false);
      range = {std::max(s.min, -t), std::min(s.max, t)};
    }
  } else {
    range.lo = aggregate(per_sample(s, r.min, false), r.min.aggregator, r.min.outlier_prob);
    range.hi = aggregate(per_sample(s, r.max, true), r.max.aggregator, r.max.outlier_prob);
    if (symmetric) {
      // The min bound only says whether the tensor is signed; the max bound is |x|'s.
      range.hi = std::fabs(range.hi);
      range.lo = range.lo < 0 ? -range.hi : 0.0f;
    }
  }
  // A quantized range always holds zero (zero padding and ReLU must be exact).
  range.lo = std::min(range.lo, 0.0f);
  range.hi = std::max(range.hi, 0.0f);
  return range;
}

}  // namespace octet::quant
