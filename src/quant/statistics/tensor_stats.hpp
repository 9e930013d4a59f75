// Statistics of one tensor over the calibration samples, collected streamed: each sample
// updates them and is dropped. Only what an algorithm asked for is computed (a per-sample
// quantile costs a partial sort; a histogram a pass with a divide), and what is kept is fixed
// in size except for the per-sample scalars (a few floats per sample).
#pragma once
#include <map>
#include <string>
#include <vector>

#include "octet/tensor.hpp"
#include "quant/statistics/histogram.hpp"

namespace octet::quant {

// What to collect for one tensor; requests from several algorithms merge.
struct StatNeeds {
  bool min_max = false;                // global and per-sample min, max, absolute max
  std::vector<double> quantiles;       // per-sample quantiles of x
  std::vector<double> abs_quantiles;   // per-sample quantiles of |x|
  int histogram_bins = 0;              // > 0: a histogram with this many bins
  int channel_axis = -1;               // >= 0: per-channel min and max along this axis
  bool mean_map = false;               // the elementwise mean over samples (bias correction)

  void merge(const StatNeeds& other);
  // True when statistics collected for `have` contain everything this asks for.
  bool covered_by(const StatNeeds& have) const;
};

struct TensorStats {
  std::string name;
  Shape shape;                          // of one sample
  StatNeeds needs;
  size_t samples = 0;
  float min = 0, max = 0;               // over every sample
  std::vector<float> sample_min, sample_max, sample_absmax;
  std::map<double, std::vector<float>> sample_quantile, sample_abs_quantile;
  Histogram histogram{8};
  std::vector<float> channel_min, channel_max;
  std::vector<double> mean_sum;         // elementwise sum; mean_map() divides
  // Samples holding a NaN or an infinity: counted, not folded into any statistic above, so
  // the layers reading this tensor can stay FP32 instead of getting a NaN scale.
  size_t nonfinite_samples = 0;
  size_t first_nonfinite = 0;           // calibration index of the first such sample
  // Samples left out because another tensor held NaN/Inf in them: a NaN upstream that a Relu
  // turns into zeros must not pull this tensor's range down.
  size_t skipped_samples = 0;

  TensorStats() = default;
  TensorStats(std::string name_, StatNeeds needs_);
  // Adds one sample (float32). Throws naming the tensor if its shape changes between samples;
  // a sample with a NaN or an infinity only counts in nonfinite_samples.
  void observe(const Tensor& sample);
  // Counts a sample left out of this tensor's statistics (see skipped_samples). Its shape still
  // counts: when the first sample is the one left out, later ones are checked against it.
  void skip(const Tensor& sample);
  std::vector<float> mean_map() const;
  // Mean over everything but `channel_axis`, per channel (from the mean map).
  std::vector<float> channel_mean(int channel_axis) const;

 private:
  // Checks dtype and shape (the first sample, observed or skipped, fixes the shape); returns
  // the sample's calibration index.
  size_t check_sample(const Tensor& sample);
};

// True if any element of a float32 tensor is NaN or infinite.
bool has_nonfinite(const Tensor& t);

// Exact quantile of data (linear interpolation between order statistics); reorders `data`.
float quantile_in_place(std::vector<float>& data, double q);

}  // namespace octet::quant
