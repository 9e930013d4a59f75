// GraphRunner and ProgressBar; see graph_runner.hpp.
#include "quant/graph_runner.hpp"

#include <unistd.h>

#include <algorithm>
#include <iostream>

#include "octet/error.hpp"

namespace octet::quant {

GraphRunner::GraphRunner(const ir::Graph& graph, const std::vector<std::string>& observe, int threads)
    : observe_(observe) {
  auto copy = std::make_shared<ir::Graph>(graph);
  for (const std::string& name : observe) {
    ir::ValueId id = ir::kNoValue;
    for (size_t v = 0; v < copy->values.size(); ++v)
      if (copy->values[v].name == name) { id = static_cast<ir::ValueId>(v); break; }
    if (id == ir::kNoValue) fail("graph '", graph.name, "' has no tensor named '", name, "' to observe");
    auto in = std::find(copy->inputs.begin(), copy->inputs.end(), id);
    if (in != copy->inputs.end()) {
      from_input_.push_back(static_cast<int>(in - copy->inputs.begin()));
      from_output_.push_back(-1);
      continue;
    }
    if (copy->value(id).is_constant()) fail("tensor '", name, "' is a constant; there is nothing to observe");
    from_input_.push_back(-1);
    auto out = std::find(copy->outputs.begin(), copy->outputs.end(), id);
    if (out == copy->outputs.end()) {
      copy->outputs.push_back(id);
      out = copy->outputs.end() - 1;
    }
    from_output_.push_back(static_cast<int>(out - copy->outputs.begin()));
  }
  CompileOptions options;
  options.optimize = false;
  options.threads = threads;
  compiled_ = std::make_unique<CompiledModel>(CompiledModel::compile(Model(copy), options));
}

std::vector<Tensor> GraphRunner::run(const std::vector<Tensor>& inputs) {
  std::vector<Tensor> outputs = compiled_->run(inputs);
  std::vector<Tensor> result;
  result.reserve(observe_.size());
  std::vector<size_t> last_use(outputs.size(), 0);
  for (size_t i = 0; i < observe_.size(); ++i)
    if (from_output_[i] >= 0) last_use[static_cast<size_t>(from_output_[i])] = i;
  for (size_t i = 0; i < observe_.size(); ++i) {
    if (from_input_[i] >= 0) {
      const Tensor& t = inputs.at(static_cast<size_t>(from_input_[i]));
      result.push_back(t.dtype == DType::kFloat32 ? t : convert_tensor(t, DType::kFloat32));
    } else {
      // Moved out at its last request (a name may be asked for twice), copied before.
      Tensor& t = outputs.at(static_cast<size_t>(from_output_[i]));
      result.push_back(last_use[static_cast<size_t>(from_output_[i])] == i ? std::move(t) : t);
    }
  }
  return result;
}

ProgressBar::ProgressBar(std::string label, size_t total, bool enabled)
    : label_(std::move(label)), total_(total), enabled_(enabled && total > 0 && isatty(STDERR_FILENO)) {}

void ProgressBar::update(size_t done) {
  if (!enabled_) return;
  const int width = 30;
  const int filled = static_cast<int>(done * width / total_);
  if (filled == last_drawn_ && done != total_) return;
  last_drawn_ = filled;
  std::cerr << "\r" << label_ << " [" << std::string(static_cast<size_t>(filled), '#')
            << std::string(static_cast<size_t>(width - filled), ' ') << "] " << done << "/" << total_ << std::flush;
}

ProgressBar::~ProgressBar() {
  if (enabled_ && last_drawn_ >= 0) std::cerr << "\n";
}

}  // namespace octet::quant
