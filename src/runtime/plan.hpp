// The execution plan: a graph compiled once into an ordered list of created kernels over
// tensors in one arena (plus constants and bound inputs), then run many times.
//
//   compile:  pick a kernel per node (kernel_table order) -> negotiate layouts, insert
//             Reorders -> plan the arena by liveness -> allocate it once
//   run:      bind input pointers -> execute each step -> copy outputs out (plain layout)
#pragma once
#include <list>
#include <memory>
#include <string>
#include <vector>

#include "ir/graph.hpp"
#include "runtime/kernel.hpp"

namespace octet::rt {

struct PlanOptions {
  // OpenMP team size for this plan's compile and run only (runtime/omp_team.hpp): the calling
  // thread's own setting is restored after each, so plans with different counts coexist.
  int threads = 1;
  bool verbose = false;  // print each node's kernel choice and why others declined (stderr)
};

struct PlanTensor {
  enum class Storage : uint8_t { kArena, kConstant, kInput };
  std::string name;
  TensorDesc desc;
  Storage storage = Storage::kArena;
  size_t offset = 0;                  // kArena: byte offset in the arena
  const void* constant = nullptr;     // kConstant: the data (owned by the graph, or by the plan when reordered)
  int input_index = -1;               // kInput: which graph input
  int alias_of = -1;                  // shares the storage of this tensor (view kernels)
};

struct PlanStep {
  std::string node_name;
  ir::OpKind op = ir::OpKind::Identity;
  const KernelEntry* entry = nullptr;
  std::unique_ptr<Kernel> kernel;  // null for view steps (output aliases input 0)
  std::vector<int> srcs;           // PlanTensor index per input, -1 when omitted
  std::vector<int> dsts;           // PlanTensor index per output, -1 when unused
  DType compute_dtype = DType::kFloat32;  // dtype of input 0, for reports (INT8 or FP32)
};

class Plan {
 public:
  static std::unique_ptr<Plan> compile(std::shared_ptr<const ir::Graph> graph, const PlanOptions& options);

  // inputs: one pointer per graph input (plain layout, dtype and shape as compiled);
  // outputs: one pointer per graph output, plain, with outputs_[i].bytes() bytes each.
  void run(const std::vector<const void*>& inputs, const std::vector<void*>& outputs);

  // Per-step wall time of the last run, when profiling is on.
  void set_profiling(bool on) { profiling_ = on; }
  const std::vector<double>& step_ms() const { return step_ms_; }

  const std::vector<PlanStep>& steps() const { return steps_; }
  const std::vector<PlanTensor>& tensors() const { return tensors_; }
  const std::vector<TensorDesc>& input_descs() const { return input_descs_; }
  const std::vector<TensorDesc>& output_descs() const { return output_descs_; }
  const ir::Graph& graph() const { return *graph_; }
  size_t arena_bytes() const { return arena_bytes_; }
  int threads() const { return threads_; }

  ~Plan();

 private:
  Plan() = default;
  void* tensor_ptr(int t, const std::vector<const void*>& inputs) const;

  std::shared_ptr<const ir::Graph> graph_;  // keeps constants alive
  std::list<std::vector<uint8_t>> owned_constants_;  // constants reordered once at compile time
  std::vector<PlanTensor> tensors_;
  std::vector<int> root_;                   // per tensor, the one owning its storage (alias_of resolved)
  std::vector<PlanStep> steps_;
  std::vector<int> output_tensors_;         // PlanTensor per graph output (plain)
  std::vector<TensorDesc> input_descs_, output_descs_;
  void* arena_ = nullptr;
  size_t arena_bytes_ = 0;
  void* scratch_ = nullptr;
  size_t scratch_bytes_ = 0;
  int threads_ = 1;
  bool profiling_ = false;
  std::vector<double> step_ms_;
  // Per step, the resolved pointers; refreshed only for steps reading inputs.
  std::vector<std::vector<const void*>> step_src_;
  std::vector<std::vector<void*>> step_dst_;
};

}  // namespace octet::rt
