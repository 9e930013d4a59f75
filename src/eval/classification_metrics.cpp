// Classification metrics: top-k accuracy against labels, and top-1 agreement with a reference
// model when there are no labels. Output 0 holds the class scores, [batch, classes] (any
// trailing dims of size 1 are ignored, so [batch, classes, 1, 1] works too).
#include "eval/metrics.hpp"

#include <algorithm>

namespace octet::eval {
namespace {

// Scores of row r of a [batch, classes, 1...] float tensor.
struct Rows {
  const float* data;
  int64_t batch, classes;
};

Rows rows_of(const Tensor& t, const char* metric) {
  if (t.dtype != DType::kFloat32) fail(metric, ": output 0 is ", dtype_name(t.dtype), ", want float32 class scores");
  if (t.shape.size() < 2) fail(metric, ": output 0 has shape ", shape_str(t.shape), ", want [batch, classes]");
  for (size_t d = 2; d < t.shape.size(); ++d)
    if (t.shape[d] != 1) fail(metric, ": output 0 has shape ", shape_str(t.shape), ", want [batch, classes]");
  return {t.data<float>(), t.shape[0], t.shape[1]};
}

int64_t argmax(const float* row, int64_t n) {
  return std::max_element(row, row + n) - row;  // first maximum on ties, as numpy/torch argmax
}

class TopK : public Metric {
 public:
  explicit TopK(int k) : k_(k) {}
  std::string name() const override { return k_ == 1 ? "top1" : cat("top", k_); }
  void reset() override { correct_ = total_ = 0; }
  bool needs_labels() const override { return true; }
  void update(const std::vector<Tensor>& outputs, const std::vector<Tensor>&, const std::vector<int64_t>& labels) override {
    if (outputs.empty()) fail(name(), ": the model has no outputs");
    const Rows r = rows_of(outputs[0], name().c_str());
    if (labels.size() != static_cast<size_t>(r.batch))
      fail(name(), ": ", labels.size(), " labels for a batch of ", r.batch, " (the dataset needs labels)");
    for (int64_t b = 0; b < r.batch; ++b) {
      const float* row = r.data + b * r.classes;
      const int64_t label = labels[static_cast<size_t>(b)];
      if (label < 0 || label >= r.classes)
        fail(name(), ": label ", label, " is out of range for ", r.classes, " classes");
      // Correct if fewer than k classes score strictly higher than the label, counting ties
      // ahead of the label only if their index is lower (argmax's tie order).
      int64_t ahead = 0;
      for (int64_t c = 0; c < r.classes; ++c)
        if (row[c] > row[label] || (row[c] == row[label] && c < label)) ++ahead;
      correct_ += ahead < k_;
      ++total_;
    }
  }
  double result() const override { return total_ ? static_cast<double>(correct_) / total_ : 0.0; }
  std::map<std::string, double> details() const override {
    return {{"correct", static_cast<double>(correct_)}, {"total", static_cast<double>(total_)}};
  }

 private:
  int k_;
  int64_t correct_ = 0, total_ = 0;
};

class Agreement : public Metric {
 public:
  std::string name() const override { return "agreement"; }
  void reset() override { same_ = total_ = 0; }
  bool needs_reference() const override { return true; }
  void update(const std::vector<Tensor>& outputs, const std::vector<Tensor>& reference, const std::vector<int64_t>&) override {
    if (outputs.empty() || reference.empty()) fail("agreement: needs a reference model's outputs (--reference)");
    const Rows a = rows_of(outputs[0], "agreement"), b = rows_of(reference[0], "agreement");
    if (a.batch != b.batch || a.classes != b.classes)
      fail("agreement: output 0 has shape ", shape_str(outputs[0].shape), ", the reference's ", shape_str(reference[0].shape));
    for (int64_t r = 0; r < a.batch; ++r) {
      same_ += argmax(a.data + r * a.classes, a.classes) == argmax(b.data + r * b.classes, b.classes);
      ++total_;
    }
  }
  double result() const override { return total_ ? static_cast<double>(same_) / total_ : 0.0; }
  std::map<std::string, double> details() const override {
    return {{"agree", static_cast<double>(same_)}, {"total", static_cast<double>(total_)}};
  }

 private:
  int64_t same_ = 0, total_ = 0;
};

}  // namespace

std::unique_ptr<Metric> make_topk(int k) { return std::make_unique<TopK>(k); }
std::unique_ptr<Metric> make_agreement() { return std::make_unique<Agreement>(); }

}  // namespace octet::eval
