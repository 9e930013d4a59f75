// Histogram with exact range doubling; see histogram.hpp.
#include "quant/statistics/histogram.hpp"

#include <algorithm>
#include <cmath>

#include "octet/error.hpp"

namespace octet::quant {

Histogram::Histogram(int bins) {
  if (bins < 8) fail("histogram: ", bins, " bins is too few (at least 8)");
  counts_.assign(static_cast<size_t>((bins + 3) / 4 * 4), 0.0);
}

double Histogram::total() const {
  double t = zeros_;
  for (double c : counts_) t += c;
  return t;
}

void Histogram::double_range() {
  // Old bin i covers [-R + i w, -R + (i+1) w) = new bin (n/2 + i) / 2 at width 2w.
  const size_t n = counts_.size();
  std::vector<double> merged(n, 0.0);
  for (size_t i = 0; i < n; ++i) merged[(n / 2 + i) / 2] += counts_[i];
  counts_ = std::move(merged);
  range_ *= 2;
}

void Histogram::grow_to(float absmax) {
  if (range_ == 0) {
    // First non-zero data: start at a power of two above it, so every later doubling keeps
    // bin edges on one binary grid (histograms of the same tensor then merge exactly);
    // exact zeros seen before go to the bin holding zero.
    range_ = std::ldexp(1.0f, static_cast<int>(std::ceil(std::log2(absmax))));
    if (range_ <= absmax) range_ *= 2;
    counts_[counts_.size() / 2] += zeros_;
    zeros_ = 0;
    return;
  }
  while (range_ <= absmax) double_range();
}

void Histogram::add(const float* data, size_t n) {
  float absmax = 0;
  for (size_t i = 0; i < n; ++i) absmax = std::max(absmax, std::fabs(data[i]));
  if (!std::isfinite(absmax)) fail("histogram: the tensor holds a NaN or infinite value");
  if (absmax == 0) {
    if (range_ == 0) zeros_ += static_cast<double>(n);
    else counts_[counts_.size() / 2] += static_cast<double>(n);
    return;
  }
  if (absmax >= range_) grow_to(absmax);
  const int last = bins() - 1;
  const float inv_w = 1.0f / bin_width();
  for (size_t i = 0; i < n; ++i) {
    const int b = static_cast<int>((data[i] + range_) * inv_w);
    counts_[static_cast<size_t>(std::clamp(b, 0, last))] += 1.0;
  }
}

void Histogram::merge(const Histogram& other) {
  if (other.counts_.size() != counts_.size()) fail("histogram: cannot merge ", other.bins(), " bins into ", bins());
  if (other.range_ == 0) {
    if (range_ == 0) zeros_ += other.zeros_;
    else counts_[counts_.size() / 2] += other.zeros_;
    return;
  }
  if (range_ == 0) {
    const double z = zeros_;
    *this = other;
    counts_[counts_.size() / 2] += z;
    return;
  }
  Histogram copy = other;
  while (range_ < copy.range_) double_range();
  while (copy.range_ < range_) copy.double_range();
  if (copy.range_ != range_)
    fail("histogram: ranges ", range_, " and ", copy.range_, " are not on the same binary grid");
  for (size_t i = 0; i < counts_.size(); ++i) counts_[i] += copy.counts_[i];
}

float Histogram::quantile(double q) const {
  const double t = total();
  if (t == 0 || range_ == 0) return 0.0f;
  const double target = std::clamp(q, 0.0, 1.0) * t;
  double acc = 0;
  for (int i = 0; i < bins(); ++i) {
    const double c = counts_[static_cast<size_t>(i)];
    if (acc + c >= target && c > 0) {
      const double frac = (target - acc) / c;
      return bin_lo(i) + static_cast<float>(frac) * bin_width();
    }
    acc += c;
  }
  return range_;
}

void Histogram::restore(float range, std::vector<double> counts) {
  if (counts.size() != counts_.size()) fail("histogram: stored with ", counts.size(), " bins, expected ", bins());
  range_ = range;
  counts_ = std::move(counts);
  zeros_ = 0;
}

}  // namespace octet::quant
