// Ops whose output is input 0's bytes under another shape: Reshape, Flatten, Squeeze,
// Unsqueeze, Identity and inference-mode Dropout. The planner aliases the buffers and never
// executes them; evaluate_node does the same. Dropout asked for its mask gets a real kernel
// (copy, mask all true), as does a training-mode Dropout with ratio 0.
#include "runtime/ref/ref_kernels.hpp"
#include "runtime/ref/ref_util.hpp"

namespace octet::rt::ref {
namespace {

using ir::OpKind;

// Any input layout is fine: the planner reorders input 0 to plain for a view.
std::string why_not_view(const KernelContext& ctx) {
  if (ctx.inputs.empty() || !ctx.inputs[0].present()) return "input 0 is missing";
  if (ctx.outputs.empty() || !ctx.outputs[0].present()) return "output 0 is unused";
  if (ctx.inputs[0].dtype != ctx.outputs[0].dtype) return "output dtype differs from the input's";
  if (ctx.inputs[0].numel() != ctx.outputs[0].numel())
    return cat("input ", shape_str(ctx.inputs[0].shape), " and output ", shape_str(ctx.outputs[0].shape),
               " differ in size");
  if (ctx.outputs[0].layout != Layout::kPlain) return "a view writes plain";
  if (ctx.node->op == OpKind::Dropout) {
    if (ctx.outputs.size() > 1 && ctx.outputs[1].present()) return "the mask output is used (ref_dropout serves it)";
    if (ctx.inputs.size() > 2 && ctx.inputs[2].present()) {
      const Tensor* training = ctx.constants[2];
      if (!training) return "training_mode is not a constant";
      if (read_number(training->dtype, training->bytes.data()) != 0) return "training mode";
    }
  }
  for (size_t i = 1; i < ctx.outputs.size(); ++i)
    if (ctx.outputs[i].present() && ctx.node->op != OpKind::Dropout) return "has more than one output";
  return "";
}

std::unique_ptr<Kernel> create_view(KernelContext&) {
  // Never called: output_aliases_input0 makes the planner alias the buffers instead.
  return nullptr;
}

// Dropout with its mask, or with a training_mode input: inference (or training with ratio 0)
// copies X and sets the mask all true. Random dropout is a training feature octet lacks, so
// a run that asks for it is an error naming the node.
class DropoutKernel final : public Kernel {
 public:
  explicit DropoutKernel(const KernelContext& ctx)
      : bytes_(ctx.inputs[0].bytes()), n_(ctx.inputs[0].numel()), has_mask_(ctx.outputs.size() > 1),
        has_ratio_(input_present(ctx, 1)), has_training_(input_present(ctx, 2)),
        ratio_dtype_(has_ratio_ ? ctx.inputs[1].dtype : DType::kFloat32),
        ratio_(ctx.node->attr_float("ratio", 0.5f)), name_(ctx.describe()) {}
  void execute(const ExecArgs& args) override {
    if (has_training_ && static_cast<const uint8_t*>(args.src[2])[0]) {
      const double ratio = has_ratio_ ? read_number(ratio_dtype_, args.src[1]) : ratio_;
      if (ratio != 0) fail(name_, ": training-mode Dropout with ratio ", ratio, " is not supported");
    }
    std::memcpy(args.dst[0], args.src[0], bytes_);
    if (has_mask_ && args.dst[1]) std::memset(args.dst[1], 1, static_cast<size_t>(n_));
  }

 private:
  size_t bytes_;
  int64_t n_;
  bool has_mask_, has_ratio_, has_training_;
  DType ratio_dtype_;
  double ratio_;
  std::string name_;
};

std::string why_not_dropout(const KernelContext& ctx) {
  if (auto why = require_plain(ctx); !why.empty()) return why;
  if (ctx.inputs.empty() || !ctx.inputs[0].present()) return "input 0 is missing";
  if (ctx.inputs[0].dtype != ctx.outputs[0].dtype) return "output dtype differs from the input's";
  if (ctx.outputs.size() > 1 && ctx.outputs[1].present() && ctx.outputs[1].dtype != DType::kBool)
    return "mask must be bool";
  if (input_present(ctx, 2) && ctx.inputs[2].dtype != DType::kBool) return "training_mode must be bool";
  if (input_present(ctx, 1) && !is_float_dtype(ctx.inputs[1].dtype)) return "ratio must be float";
  return "";
}

std::unique_ptr<Kernel> create_dropout(KernelContext& ctx) { return std::make_unique<DropoutKernel>(ctx); }

}  // namespace

std::vector<KernelEntry> view_entries() {
  std::vector<KernelEntry> r;
  for (OpKind op : {OpKind::Reshape, OpKind::Flatten, OpKind::Squeeze, OpKind::Unsqueeze, OpKind::Identity,
                    OpKind::Dropout})
    r.push_back({"ref_view", op, guarded<why_not_view>, create_view, /*output_aliases_input0=*/true});
  r.push_back({"ref_dropout", OpKind::Dropout, guarded<why_not_dropout>, create_dropout});
  return r;
}

}  // namespace octet::rt::ref
