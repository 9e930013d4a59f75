// Shape (with opset 15's start/end) and Size: int64 facts about the input's shape, known at
// compile time and written on each run.
#include "runtime/ref/ref_kernels.hpp"
#include "runtime/ref/ref_util.hpp"

namespace octet::rt::ref {
namespace {

class ShapeKernel final : public Kernel {
 public:
  explicit ShapeKernel(const KernelContext& ctx) {
    const Shape& s = ctx.inputs[0].shape;
    if (ctx.node->op == ir::OpKind::Size) {
      values_ = {shape_numel(s)};
      return;
    }
    const int64_t rank = static_cast<int64_t>(s.size());
    int64_t start = ctx.node->attr_int("start", 0), end = ctx.node->attr_int("end", rank);
    if (start < 0) start += rank;
    if (end < 0) end += rank;
    start = std::clamp<int64_t>(start, 0, rank);
    end = std::clamp<int64_t>(end, 0, rank);
    for (int64_t d = start; d < end; ++d) values_.push_back(s[static_cast<size_t>(d)]);
  }
  void execute(const ExecArgs& args) override {
    if (!values_.empty()) std::memcpy(args.dst[0], values_.data(), values_.size() * sizeof(int64_t));
  }

 private:
  std::vector<int64_t> values_;
};

std::string why_not(const KernelContext& ctx) {
  if (!input_present(ctx, 0)) return "input 0 is missing";
  if (ctx.outputs[0].layout != Layout::kPlain) return "writes plain";
  if (ctx.outputs[0].dtype != DType::kInt64) return "output must be int64";
  return "";  // any input layout: only the logical shape is read
}

std::unique_ptr<Kernel> create(KernelContext& ctx) { return std::make_unique<ShapeKernel>(ctx); }

}  // namespace

std::vector<KernelEntry> shape_entries() {
  return {{"ref_shape", ir::OpKind::Shape, guarded<why_not>, create},
          {"ref_shape", ir::OpKind::Size, guarded<why_not>, create}};
}

}  // namespace octet::rt::ref
