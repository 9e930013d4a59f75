// The kernel interface. A kernel is chosen and created once at compile time (weights packed,
// oneDNN primitives made) and then executed many times with raw pointers and no allocation.
// Each op has an ordered list of kernels in kernel_table.cpp; the first whose why_not()
// returns "" wins, so a kernel says why it declines instead of throwing.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "ir/graph.hpp"
#include "octet/tensor.hpp"

namespace octet::rt {

// How a tensor's elements are laid out in memory. Kernels that keep oneDNN's preferred
// layouts between layers say so through the layouts they ask for and produce; the planner
// inserts a Reorder wherever a producer's layout differs from what its consumer asks.
enum class Layout : uint8_t {
  kPlain,    // row-major, exactly as ONNX describes the shape
  kNhwc,     // channels last (4-D: N,H,W,C; 3-D: N,W,C; 5-D: N,D,H,W,C)
  kNChw8c,   // channels in blocks of 8 (oneDNN nChw8c); C padded up to a multiple of 8 with zeros
};
const char* layout_name(Layout layout);

struct TensorDesc {
  DType dtype = DType::kUndefined;  // kUndefined for an omitted optional tensor
  Shape shape;                      // logical shape in ONNX order (N, C, H, W, ...)
  Layout layout = Layout::kPlain;

  bool present() const { return dtype != DType::kUndefined; }
  int64_t numel() const { return shape_numel(shape); }
  // Bytes of storage, padding included.
  size_t bytes() const;
};

// What a kernel sees while it is checked and created.
struct KernelContext {
  const ir::Graph* graph = nullptr;
  const ir::Node* node = nullptr;
  // Per input, as its producer lays it out. A kernel's create() may change an input's layout
  // to the one it needs; the planner then reorders that input for it.
  std::vector<TensorDesc> inputs;
  // Per input: the data when the input is a constant (weights, shapes), else nullptr.
  std::vector<const Tensor*> constants;
  // Per output: dtype and shape from shape inference, layout kPlain. create() may change the
  // layout to the one it writes.
  std::vector<TensorDesc> outputs;
  int threads = 1;
  // Set by create(): output 0 may take the buffer of this input when no later node reads the
  // input (same layout and size), as a residual that a sum post-op accumulates into. The kernel
  // must work both ways; it sees equal src and dst pointers when the planner did it.
  int output0_may_alias = -1;

  const ir::Attribute* attr(const std::string& key) const;
  std::string describe() const { return node->describe(); }
};

struct ExecArgs {
  const void* const* src;  // one pointer per input (nullptr for an omitted optional input)
  void* const* dst;        // one pointer per output (nullptr for an unused optional output)
  void* scratch;           // scratch_bytes() of 64-byte aligned memory, shared between kernels
};

class Kernel {
 public:
  virtual ~Kernel() = default;
  virtual void execute(const ExecArgs& args) = 0;
  virtual size_t scratch_bytes() const { return 0; }
};

struct KernelEntry {
  const char* name;  // "dnnl_conv", "ref_conv", ...; shown by --verbose and `octet bench`
  ir::OpKind op;
  // "" when this kernel can run the node as described by the context, else the reason not.
  std::string (*why_not)(const KernelContext& ctx);
  std::unique_ptr<Kernel> (*create)(KernelContext& ctx);
  // The output is input 0's bytes reinterpreted (Reshape, Flatten, Squeeze, Identity...):
  // the planner gives it input 0's buffer and never calls execute. Needs plain layouts.
  bool output_aliases_input0 = false;
  // A plain-loop reference kernel (runtime/ref/): the fallback, what constant folding
  // evaluates with, and the oracle the other kernels are tested against. Set by the table
  // for the reference backend's entries, so a name says nothing about it.
  bool reference = false;
};

// All kernels, grouped by op, each op's in dispatch order: the fast kernels first, in the
// order of the backends (oneDNN INT8, oneDNN), then its reference kernels.
const std::vector<KernelEntry>& kernel_table();

// The candidates for one op, in dispatch order.
std::vector<const KernelEntry*> kernels_for(ir::OpKind op);

// True when some kernel exists for the op (the op is "supported").
bool op_supported(ir::OpKind op);

// Runs one node on host tensors with the reference kernels (plain layouts). Constant folding
// and tests use it; it is not the fast path.
std::vector<Tensor> evaluate_node(const ir::Graph& graph, const ir::Node& node,
                                  const std::vector<const Tensor*>& inputs);

}  // namespace octet::rt
