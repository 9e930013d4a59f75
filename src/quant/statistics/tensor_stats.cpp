// One tensor's streamed statistics; see tensor_stats.hpp.
#include "quant/statistics/tensor_stats.hpp"

#include <algorithm>
#include <cmath>

#include "octet/error.hpp"

namespace octet::quant {
namespace {

void merge_list(std::vector<double>& into, const std::vector<double>& from) {
  for (double q : from)
    if (std::find(into.begin(), into.end(), q) == into.end()) into.push_back(q);
  std::sort(into.begin(), into.end());
}

bool list_covered(const std::vector<double>& want, const std::vector<double>& have) {
  for (double q : want)
    if (std::find(have.begin(), have.end(), q) == have.end()) return false;
  return true;
}

}  // namespace

void StatNeeds::merge(const StatNeeds& other) {
  min_max = min_max || other.min_max;
  merge_list(quantiles, other.quantiles);
  merge_list(abs_quantiles, other.abs_quantiles);
  histogram_bins = std::max(histogram_bins, other.histogram_bins);
  if (other.channel_axis >= 0) channel_axis = other.channel_axis;
  mean_map = mean_map || other.mean_map;
}

bool StatNeeds::covered_by(const StatNeeds& have) const {
  if (min_max && !have.min_max) return false;
  if (!list_covered(quantiles, have.quantiles) || !list_covered(abs_quantiles, have.abs_quantiles)) return false;
  if (histogram_bins > 0 && have.histogram_bins != histogram_bins) return false;
  if (channel_axis >= 0 && have.channel_axis != channel_axis) return false;
  if (mean_map && !have.mean_map) return false;
  return true;
}

bool has_nonfinite(const Tensor& t) {
  if (t.dtype != DType::kFloat32) return false;
  const float* x = t.data<float>();
  float poison = 0.0f;  // x * 0 is NaN for NaN and infinities, 0 otherwise
  for (int64_t i = 0; i < t.numel(); ++i) poison += x[i] * 0.0f;
  return poison != 0.0f;
}

float quantile_in_place(std::vector<float>& data, double q) {
  if (data.empty()) return 0.0f;
  const double pos = std::clamp(q, 0.0, 1.0) * static_cast<double>(data.size() - 1);
  const size_t lo = static_cast<size_t>(std::floor(pos));
  std::nth_element(data.begin(), data.begin() + static_cast<std::ptrdiff_t>(lo), data.end());
  const float a = data[lo];
  if (lo + 1 >= data.size()) return a;
  const float b = *std::min_element(data.begin() + static_cast<std::ptrdiff_t>(lo) + 1, data.end());
  return a + static_cast<float>(pos - static_cast<double>(lo)) * (b - a);
}

TensorStats::TensorStats(std::string name_, StatNeeds needs_)
    : name(std::move(name_)), needs(std::move(needs_)), histogram(needs.histogram_bins > 0 ? needs.histogram_bins : 8) {}

size_t TensorStats::check_sample(const Tensor& sample) {
  if (sample.dtype != DType::kFloat32)
    fail("calibration: tensor '", name, "' is ", dtype_name(sample.dtype), "; only float32 tensors get ranges");
  const size_t index = samples + nonfinite_samples + skipped_samples;  // this sample's calibration index
  if (index == 0) shape = sample.shape;
  else if (sample.shape != shape)
    fail("calibration: tensor '", name, "' has shape ", shape_str(sample.shape), " in sample ", index,
         " but ", shape_str(shape), " before");
  return index;
}

void TensorStats::skip(const Tensor& sample) {
  check_sample(sample);
  ++skipped_samples;
}

void TensorStats::observe(const Tensor& sample) {
  const size_t index = check_sample(sample);
  const float* x = sample.data<float>();
  const size_t n = static_cast<size_t>(sample.numel());
  if (n == 0) fail("calibration: tensor '", name, "' is empty");

  if (has_nonfinite(sample)) {
    if (nonfinite_samples++ == 0) first_nonfinite = index;
    return;
  }

  if (needs.min_max) {
    float lo = x[0], hi = x[0];
    for (size_t i = 0; i < n; ++i) {
      lo = std::min(lo, x[i]);
      hi = std::max(hi, x[i]);
    }
    min = samples == 0 ? lo : std::min(min, lo);
    max = samples == 0 ? hi : std::max(max, hi);
    sample_min.push_back(lo);
    sample_max.push_back(hi);
    sample_absmax.push_back(std::max(std::fabs(lo), std::fabs(hi)));
  }
  if (!needs.quantiles.empty() || !needs.abs_quantiles.empty()) {
    std::vector<float> copy(x, x + n);
    for (double q : needs.quantiles) sample_quantile[q].push_back(quantile_in_place(copy, q));
    if (!needs.abs_quantiles.empty()) {
      for (float& v : copy) v = std::fabs(v);
      for (double q : needs.abs_quantiles) sample_abs_quantile[q].push_back(quantile_in_place(copy, q));
    }
  }
  if (needs.histogram_bins > 0) histogram.add(x, n);
  if (needs.channel_axis >= 0) {
    const int axis = needs.channel_axis;
    if (axis >= static_cast<int>(shape.size()))
      fail("calibration: tensor '", name, "' of shape ", shape_str(shape), " has no channel axis ", axis);
    const int64_t channels = shape[static_cast<size_t>(axis)];
    int64_t inner = 1;
    for (size_t d = static_cast<size_t>(axis) + 1; d < shape.size(); ++d) inner *= shape[d];
    const int64_t outer = static_cast<int64_t>(n) / (channels * inner);
    if (channel_min.empty()) {
      channel_min.assign(static_cast<size_t>(channels), INFINITY);
      channel_max.assign(static_cast<size_t>(channels), -INFINITY);
    }
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t c = 0; c < channels; ++c) {
        const float* p = x + (o * channels + c) * inner;
        float lo = channel_min[static_cast<size_t>(c)], hi = channel_max[static_cast<size_t>(c)];
        for (int64_t i = 0; i < inner; ++i) {
          lo = std::min(lo, p[i]);
          hi = std::max(hi, p[i]);
        }
        channel_min[static_cast<size_t>(c)] = lo;
        channel_max[static_cast<size_t>(c)] = hi;
      }
  }
  if (needs.mean_map) {
    if (mean_sum.empty()) mean_sum.assign(n, 0.0);
    for (size_t i = 0; i < n; ++i) mean_sum[i] += x[i];
  }
  ++samples;
}

std::vector<float> TensorStats::mean_map() const {
  if (mean_sum.empty() || samples == 0) fail("calibration: no mean was collected for tensor '", name, "'");
  std::vector<float> mean(mean_sum.size());
  for (size_t i = 0; i < mean.size(); ++i) mean[i] = static_cast<float>(mean_sum[i] / static_cast<double>(samples));
  return mean;
}

std::vector<float> TensorStats::channel_mean(int axis) const {
  const std::vector<float> mean = mean_map();
  if (axis < 0 || axis >= static_cast<int>(shape.size()))
    fail("calibration: tensor '", name, "' of shape ", shape_str(shape), " has no channel axis ", axis);
  const int64_t channels = shape[static_cast<size_t>(axis)];
  int64_t inner = 1;
  for (size_t d = static_cast<size_t>(axis) + 1; d < shape.size(); ++d) inner *= shape[d];
  const int64_t outer = static_cast<int64_t>(mean.size()) / (channels * inner);
  std::vector<double> sum(static_cast<size_t>(channels), 0.0);
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t c = 0; c < channels; ++c)
      for (int64_t i = 0; i < inner; ++i) sum[static_cast<size_t>(c)] += mean[static_cast<size_t>((o * channels + c) * inner + i)];
  std::vector<float> result(static_cast<size_t>(channels));
  for (size_t c = 0; c < result.size(); ++c) result[c] = static_cast<float>(sum[c] / static_cast<double>(outer * inner));
  return result;
}

}  // namespace octet::quant
