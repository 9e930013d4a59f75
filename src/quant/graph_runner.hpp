// Runs a graph and returns chosen intermediate tensors besides its outputs: the way every
// quantization step looks inside a model (calibration statistics, per-layer SQNR, full bias
// correction). The tensors to observe become extra graph outputs of a private copy, compiled
// once with CompiledModel (optimize off: the graph is already octet's optimized one).
#pragma once
#include <memory>
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
  std::unique_ptr<CompiledModel> compiled_;
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
