// Runs a graph and returns chosen intermediate tensors besides its outputs: the way every
// quantization step looks inside a model (calibration statistics, per-layer SQNR, full bias
// correction). The tensors to observe become extra graph outputs of a private copy, compiled
// with CompiledModel (optimize off: the graph is already octet's optimized one) for the input
// shapes of the samples: the graph keeps the model's dynamic dims, so a detector declared
// [1,3,?,?] calibrates at whatever size its data has, and the QDQ model still runs at any.
#pragma once
#include <memory>
#include <utility>
#include <string>
#include <vector>

#include "ir/graph.hpp"
#include "octet/engine.hpp"

namespace octet::quant {

class GraphRunner {
 public:
  // `observe`: value names; graph inputs among them are passed through without running.
  GraphRunner(const ir::Graph& graph, const std::vector<std::string>& observe, int threads);

  // One sample's inputs in graph input order; returns the observed tensors in `observe` order.
  std::vector<Tensor> run(const std::vector<Tensor>& inputs);
  const std::vector<std::string>& observed() const { return observe_; }

 private:
  std::vector<std::string> observe_;
  std::vector<int> from_input_;   // per observed tensor: graph input index, or -1
  std::vector<int> from_output_;  // per observed tensor: compiled output index, or -1
  std::shared_ptr<ir::Graph> graph_;  // the copy with the observed tensors as outputs
  int threads_ = 0;
  // One plan per distinct set of input shapes seen, most recent first, at most kMaxPlans:
  // calibration data usually has one shape; a folder of odd-sized images must not compile
  // a plan per image and keep them all.
  static constexpr size_t kMaxPlans = 4;
  std::vector<std::pair<std::vector<Shape>, std::unique_ptr<CompiledModel>>> plans_;
  CompiledModel& plan_for(const std::vector<Tensor>& inputs);
};

// Prints "label [#####     ] 120/300" on stderr, redrawn in place; only when stderr is a
// terminal and `enabled`.
class ProgressBar {
 public:
  ProgressBar(std::string label, size_t total, bool enabled);
  void update(size_t done);
  ~ProgressBar();

 private:
  std::string label_;
  size_t total_;
  bool enabled_;
  int last_drawn_ = -1;
};

}  // namespace octet::quant
