// GraphRunner and ProgressBar; see graph_runner.hpp.
#include "quant/graph_runner.hpp"

#include <unistd.h>

#include <algorithm>
#include <iostream>
#include <unordered_map>

#include "octet/error.hpp"

namespace octet::quant {

GraphRunner::GraphRunner(const ir::Graph& graph, const std::vector<std::string>& observe, int threads)
    : observe_(observe) {
  auto copy = std::make_shared<ir::Graph>(graph);
  // Lookups by name and position are indexed: calibration observes a tensor per layer, so a
  // scan per observed tensor would be quadratic in the depth of the model.
  std::unordered_map<std::string, ir::ValueId> by_name;
  for (size_t v = copy->values.size(); v-- > 0;) by_name[copy->values[v].name] = static_cast<ir::ValueId>(v);
  std::unordered_map<ir::ValueId, int> input_at, output_at;
  for (size_t i = copy->inputs.size(); i-- > 0;) input_at[copy->inputs[i]] = static_cast<int>(i);
  for (size_t i = copy->outputs.size(); i-- > 0;) output_at[copy->outputs[i]] = static_cast<int>(i);
  for (const std::string& name : observe) {
    const auto named = by_name.find(name);
    if (named == by_name.end()) fail("graph '", graph.name, "' has no tensor named '", name, "' to observe");
    const ir::ValueId id = named->second;
    if (auto in = input_at.find(id); in != input_at.end()) {
      from_input_.push_back(in->second);
      from_output_.push_back(-1);
      continue;
    }
    if (copy->value(id).is_constant()) fail("tensor '", name, "' is a constant; there is nothing to observe");
    from_input_.push_back(-1);
    auto [out, added] = output_at.emplace(id, static_cast<int>(copy->outputs.size()));
    if (added) copy->outputs.push_back(id);
    from_output_.push_back(out->second);
  }
  graph_ = std::move(copy);
  threads_ = threads;
}

CompiledModel& GraphRunner::plan_for(const std::vector<Tensor>& inputs) {
  if (inputs.size() != graph_->inputs.size())
    fail("graph '", graph_->name, "' takes ", graph_->inputs.size(), " inputs, ", inputs.size(), " were given");
  std::vector<Shape> shapes;
  for (const Tensor& t : inputs) shapes.push_back(t.shape);
  for (size_t i = 0; i < plans_.size(); ++i)
    if (plans_[i].first == shapes) {
      std::rotate(plans_.begin(), plans_.begin() + static_cast<std::ptrdiff_t>(i), plans_.begin() + static_cast<std::ptrdiff_t>(i) + 1);
      return *plans_.front().second;
    }
  CompileOptions options;
  options.optimize = false;
  options.threads = threads_;
  // Only the dims the graph leaves open are taken from the sample: compile refuses a sample
  // whose fixed dims disagree, naming the input.
  for (size_t i = 0; i < shapes.size(); ++i) {
    const ir::Value& v = graph_->value(graph_->inputs[i]);
    bool open = !v.has_shape;
    for (int64_t d : v.shape) open = open || d < 0;
    if (open && (!v.has_shape || v.shape.size() == shapes[i].size())) options.input_shapes[v.name] = shapes[i];
  }
  auto compiled = std::make_unique<CompiledModel>(CompiledModel::compile(Model(graph_), options));
  if (plans_.size() == kMaxPlans) plans_.pop_back();
  plans_.emplace(plans_.begin(), std::move(shapes), std::move(compiled));
  return *plans_.front().second;
}

std::vector<Tensor> GraphRunner::run(const std::vector<Tensor>& inputs) {
  std::vector<Tensor> outputs = plan_for(inputs).run(inputs);
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
