// A subgraph compiled into its own Plan, the way If, Loop and Scan run their bodies: bound to
// the types its node gives it, optimized like a model (constants folded, ops fused), compiled
// once at the node's create() and run per branch taken or per iteration without allocating.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "ir/subgraph.hpp"
#include "runtime/plan.hpp"

namespace octet::rt {

class CompiledBody {
 public:
  // Compiles `body` of `owner` for inputs of these types (plain layout, static shapes).
  CompiledBody(const ir::Graph& body, const std::vector<ir::InputType>& types, const ir::Node& owner, int threads);

  const std::vector<TensorDesc>& outputs() const { return plan_->output_descs(); }
  const std::vector<TensorDesc>& inputs() const { return plan_->input_descs(); }
  // Runs the body; keeps the enclosing plan's OpenMP team size.
  void run(const std::vector<const void*>& inputs, const std::vector<void*>& outputs);

 private:
  std::unique_ptr<Plan> plan_;
};

// Descs of a node's inputs from `first` on (captures included), as subgraph input types.
std::vector<ir::InputType> input_types(const KernelContext& ctx, size_t first);
inline ir::InputType type_of(const TensorDesc& d) { return {d.dtype, d.shape, true}; }

// Every input of ctx in plain layout: bodies read plain tensors (create() asks for it).
void request_plain_inputs(KernelContext& ctx);

// "" when the descs agree in dtype and shape, else what differs, naming `what`.
std::string desc_mismatch(const TensorDesc& got, const TensorDesc& want, const std::string& what);

// Copies slice `index` along `axis` of a tensor of `shape` to or from a contiguous buffer.
void gather_slice(const void* src, const Shape& shape, size_t elem, int64_t axis, int64_t index, void* dst);
void scatter_slice(const void* src, const Shape& shape, size_t elem, int64_t axis, int64_t index, void* dst);

}  // namespace octet::rt
