// What every oneDNN kernel shares: the one CPU engine and stream, the mapping between octet's
// layouts and oneDNN memory descriptors, activation post-ops, and DnnlKernel, which owns the
// primitives and memories made at create time and only rebinds data pointers in execute().
#pragma once
#include <oneapi/dnnl/dnnl.hpp>

#include <optional>
#include <string>
#include <vector>

#include "ir/fused_activation.hpp"
#include "runtime/kernel.hpp"

namespace octet::rt::onednn {

dnnl::engine& engine();
dnnl::stream& stream();

// oneDNN's element type for an octet dtype; data_type::undef where oneDNN has none.
dnnl::memory::data_type dt_of(DType dtype);
dnnl::memory::dims dims_of(const Shape& shape);

// The format tag of `layout` for a tensor of `rank`; format_tag::undef where none exists
// (blocked and channels-last layouts need rank 3 to 5).
dnnl::memory::format_tag tag_of(Layout layout, size_t rank);
// The descriptor of a tensor as octet stores it.
dnnl::memory::desc md_of(const TensorDesc& desc);
dnnl::memory::desc md_of(const Shape& shape, DType dtype, Layout layout);
// The octet layout a descriptor chosen by a primitive (format_tag::any) corresponds to.
std::optional<Layout> layout_of(const dnnl::memory::desc& md, const Shape& shape);
// A flat 1-D descriptor covering every element of `desc`'s buffer, padding included: for
// elementwise primitives, which then run layout-blind over dense memory.
dnnl::memory::desc flat_md(const TensorDesc& desc);
// True when oneDNN can describe `layout` at this rank.
bool layout_fits(Layout layout, size_t rank);
// The activation layout forced on convolutions by OCTET_DNNL_LAYOUT (plain, nhwc, nChw8c),
// for tests of every layout on any CPU and for comparing layouts in benchmarks; nullopt
// (the default) lets oneDNN choose per shape.
std::optional<Layout> forced_layout();
// False when OCTET_DNNL_WINOGRAD=0: convolutions then stay direct (for comparisons).
bool winograd_allowed();

// Appends the post-ops of a fused activation (none for kNone); oneDNN has every kind.
void append_activation(dnnl::post_ops& ops, const ir::FusedActivation& activation);
// Reads a FusedConv's or FullyConnected's activation into `out`; the reason when it is unknown.
std::string read_activation(const ir::Node& node, ir::FusedActivation& out);

// Implementation name oneDNN chose ("brgconv:avx512_core", "ref:any"...).
std::string impl_of(const dnnl::primitive_desc_base& pd);
// True for oneDNN's slow reference implementations, which the plain-loop kernels beat or match.
bool is_reference_impl(const dnnl::primitive_desc_base& pd);
// "" for a real implementation, else "oneDNN offers only ref:..." (a KernelEntry::why_not reason).
std::string reference_why_not(const dnnl::primitive_desc_base& pd);

// Runs a kernel's setup inside why_not: oneDNN throwing (no implementation for these shapes
// or attributes) is a reason to decline the node, not an error.
template <class Setup>
std::string why_not_guarded(Setup&& setup) {
  try {
    return setup();
  } catch (const std::exception& e) {
    return std::string("oneDNN refused it: ") + e.what();
  }
}

// Base of the oneDNN kernels. create() makes memories whose data handles come from the
// execute arguments (an input, an output, a slice of the shared scratch) or are owned
// (packed weights), and adds primitive calls over them; execute() sets the handles and runs
// the calls in order on the shared stream, without allocating.
class DnnlKernel : public Kernel {
 public:
  void execute(const ExecArgs& args) override;
  size_t scratch_bytes() const override { return scratch_bytes_; }

 protected:
  // A memory bound to input `i` / output `i` at execute time.
  dnnl::memory src_memory(int input, const dnnl::memory::desc& md);
  dnnl::memory dst_memory(int output, const dnnl::memory::desc& md);
  // A memory in the shared scratch (intermediates, primitive scratchpads).
  dnnl::memory scratch_memory(const dnnl::memory::desc& md);
  // Owned memory holding `data` (in `user_md`'s layout) reordered into `md`: packed weights.
  static dnnl::memory pack_constant(const void* data, const dnnl::memory::desc& user_md,
                                    const dnnl::memory::desc& md);
  // Adds a primitive call; its scratchpad (user mode attributes) is placed in the scratch.
  void add_call(const dnnl::primitive& prim, const dnnl::primitive_desc_base& pd,
                std::vector<std::pair<int, dnnl::memory>> args);
  // Attributes every kernel's primitives start from: scratchpad owned by the plan.
  static dnnl::primitive_attr base_attr();

  // Rewrites output `output`'s nChw8c channel padding with zeros after the calls, for
  // primitives run on the padded buffer as a flat array, where f(0) != 0 would leave garbage
  // in the padding. No-op for other layouts and whole channel blocks.
  void zero_padding_after(int output, const TensorDesc& desc);

  // Copies input `from` into output `to` before the calls when they are different buffers
  // (a FusedConv's residual, which a sum post-op accumulates into dst).
  void copy_input_to_output(int from, int to, size_t bytes);

 private:
  struct Binding {
    enum class Kind : uint8_t { kSrc, kDst, kScratch } kind;
    int index;        // input or output index
    size_t offset;    // kScratch: byte offset in the scratch
    dnnl::memory memory;
  };
  struct Call {
    dnnl::primitive prim;
    std::vector<std::pair<int, dnnl::memory>> owned_args;  // keeps the memories alive
    std::vector<dnnl_exec_arg_t> args;
  };
  std::vector<Binding> bindings_;
  std::vector<Call> calls_;
  struct ZeroPad {           // nChw8c channel padding of one output, zeroed after the calls
    int output;
    int64_t batch, cb, spatial;  // N, channel blocks (the last is partial), spatial size
    int64_t valid;               // real channels in the last block
  };
  std::vector<ZeroPad> zero_pad_;
  size_t scratch_bytes_ = 0;
  int copy_from_ = -1, copy_to_ = -1;
  size_t copy_bytes_ = 0;
};

}  // namespace octet::rt::onednn
