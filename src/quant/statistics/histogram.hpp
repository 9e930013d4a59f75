// A streamed histogram of a tensor's values for the MSE- and entropy-optimal range estimators.
// Bins are symmetric around zero over [-range, range); when a value falls outside, the range
// doubles and pairs of bins merge exactly, so memory stays fixed however many samples pass.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace octet::quant {

class Histogram {
 public:
  explicit Histogram(int bins = 2048);  // rounded up to a multiple of 4

  void add(const float* data, size_t n);
  // Exact merge of another histogram (same bin count); used by tests and parallel collection.
  void merge(const Histogram& other);

  int bins() const { return static_cast<int>(counts_.size()); }
  float range() const { return range_; }                       // half-width; 0 before any data
  float bin_width() const { return 2 * range_ / static_cast<float>(counts_.size()); }
  float bin_lo(int i) const { return -range_ + static_cast<float>(i) * bin_width(); }
  const std::vector<double>& counts() const { return counts_; }
  double total() const;
  bool empty() const { return range_ == 0 && total() == 0; }
  // The value below which a fraction q of the mass lies, interpolated inside a bin.
  float quantile(double q) const;

  // For the stats file.
  void restore(float range, std::vector<double> counts);

 private:
  void grow_to(float absmax);
  void double_range();
  std::vector<double> counts_;
  float range_ = 0;
  double zeros_ = 0;  // exact zeros seen before the range was known (all-zero tensors)
};

}  // namespace octet::quant
