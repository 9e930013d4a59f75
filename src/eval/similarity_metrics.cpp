// Similarity to a reference model, per output: how far a quantized model drifted from FP32
// without needing labels. Each metric reports its worst output as the result and every
// output in details() ("output0", "output1", ...).
//   cosine:  mean over samples of the cosine between a sample's output and the reference's
//   sqnr:    10 log10(sum ref^2 / sum (out - ref)^2) over the whole data, in dB (inf if equal)
//   max_abs: the largest |out - ref| anywhere
#include <algorithm>
#include <cmath>
#include <limits>

#include "eval/metrics.hpp"

namespace octet::eval {
namespace {

// Calls f(output index, row count, row length, out, ref) with float views of each output.
template <class F>
void for_each_output(const char* metric, const std::vector<Tensor>& outputs, const std::vector<Tensor>& reference, F f) {
  if (reference.empty()) fail(metric, ": needs a reference model's outputs (--reference)");
  if (outputs.size() != reference.size())
    fail(metric, ": the model has ", outputs.size(), " outputs, the reference ", reference.size());
  for (size_t k = 0; k < outputs.size(); ++k) {
    if (outputs[k].shape != reference[k].shape)
      fail(metric, ": output ", k, " has shape ", shape_str(outputs[k].shape), ", the reference's is ",
           shape_str(reference[k].shape));
    const Tensor a = convert_tensor(outputs[k], DType::kFloat32), b = convert_tensor(reference[k], DType::kFloat32);
    const int64_t rows = a.shape.empty() ? 1 : std::max<int64_t>(a.shape[0], 1);
    f(k, rows, rows ? a.numel() / rows : 0, a.data<float>(), b.data<float>());
  }
}

class Cosine : public Metric {
 public:
  std::string name() const override { return "cosine"; }
  void reset() override { sum_.clear(); worst_.clear(); count_ = 0; }
  bool needs_reference() const override { return true; }
  void update(const std::vector<Tensor>& outputs, const std::vector<Tensor>& reference, const std::vector<int64_t>&) override {
    sum_.resize(outputs.size(), 0.0);
    worst_.resize(outputs.size(), 1.0);
    int64_t rows_seen = 0;
    for_each_output("cosine", outputs, reference, [&](size_t k, int64_t rows, int64_t len, const float* a, const float* b) {
      for (int64_t r = 0; r < rows; ++r) {
        double dot = 0, na = 0, nb = 0;
        for (int64_t i = r * len; i < (r + 1) * len; ++i) {
          dot += double(a[i]) * b[i];
          na += double(a[i]) * a[i];
          nb += double(b[i]) * b[i];
        }
        // Two all-zero vectors are identical; one zero vector is orthogonal to anything.
        const double c = (na == 0 && nb == 0) ? 1.0 : (na == 0 || nb == 0) ? 0.0 : dot / std::sqrt(na * nb);
        sum_[k] += c;
        worst_[k] = std::min(worst_[k], c);
      }
      rows_seen = rows;
    });
    count_ += rows_seen;
  }
  double result() const override {
    double r = 1.0;
    for (double s : sum_) r = std::min(r, count_ ? s / count_ : 1.0);
    return r;
  }
  std::map<std::string, double> details() const override {
    std::map<std::string, double> d;
    for (size_t k = 0; k < sum_.size(); ++k) {
      d[cat("output", k)] = count_ ? sum_[k] / count_ : 1.0;
      d[cat("output", k, "_worst_sample")] = worst_[k];
    }
    return d;
  }

 private:
  std::vector<double> sum_, worst_;
  int64_t count_ = 0;
};

class Sqnr : public Metric {
 public:
  std::string name() const override { return "sqnr"; }
  void reset() override { signal_.clear(); noise_.clear(); }
  bool needs_reference() const override { return true; }
  void update(const std::vector<Tensor>& outputs, const std::vector<Tensor>& reference, const std::vector<int64_t>&) override {
    signal_.resize(outputs.size(), 0.0);
    noise_.resize(outputs.size(), 0.0);
    for_each_output("sqnr", outputs, reference, [&](size_t k, int64_t rows, int64_t len, const float* a, const float* b) {
      for (int64_t i = 0; i < rows * len; ++i) {
        const double e = double(a[i]) - b[i];
        signal_[k] += double(b[i]) * b[i];
        noise_[k] += e * e;
      }
    });
  }
  static double db(double signal, double noise) {
    if (noise == 0) return std::numeric_limits<double>::infinity();
    return 10.0 * std::log10(signal / noise);
  }
  double result() const override {
    double r = std::numeric_limits<double>::infinity();
    for (size_t k = 0; k < signal_.size(); ++k) r = std::min(r, db(signal_[k], noise_[k]));
    return r;
  }
  std::map<std::string, double> details() const override {
    std::map<std::string, double> d;
    for (size_t k = 0; k < signal_.size(); ++k) d[cat("output", k)] = db(signal_[k], noise_[k]);
    return d;
  }

 private:
  std::vector<double> signal_, noise_;
};

class MaxAbs : public Metric {
 public:
  std::string name() const override { return "max_abs"; }
  void reset() override { max_.clear(); }
  bool needs_reference() const override { return true; }
  bool higher_is_better() const override { return false; }
  void update(const std::vector<Tensor>& outputs, const std::vector<Tensor>& reference, const std::vector<int64_t>&) override {
    max_.resize(outputs.size(), 0.0);
    for_each_output("max_abs", outputs, reference, [&](size_t k, int64_t rows, int64_t len, const float* a, const float* b) {
      for (int64_t i = 0; i < rows * len; ++i) {
        const double e = std::fabs(double(a[i]) - b[i]);
        // NaN anywhere makes the error NaN, not silently 0.
        if (e > max_[k] || std::isnan(e)) max_[k] = e;
      }
    });
  }
  double result() const override {
    double r = 0.0;
    for (double m : max_) r = (std::isnan(m) || m > r) ? m : r;
    return r;
  }
  std::map<std::string, double> details() const override {
    std::map<std::string, double> d;
    for (size_t k = 0; k < max_.size(); ++k) d[cat("output", k)] = max_[k];
    return d;
  }

 private:
  std::vector<double> max_;
};

}  // namespace

std::unique_ptr<Metric> make_cosine() { return std::make_unique<Cosine>(); }
std::unique_ptr<Metric> make_sqnr() { return std::make_unique<Sqnr>(); }
std::unique_ptr<Metric> make_max_abs() { return std::make_unique<MaxAbs>(); }

}  // namespace octet::eval
