// If, Loop and Scan: their subgraphs compiled once into their own plans (CompiledBody) and run
// per branch taken or per iteration. Loop-carried state lives in two buffers swapped after
// each iteration; stacked outputs are written straight into the node's output, which has a
// static shape: a Loop that runs a different number of iterations than it was compiled for
// stops with an error naming the node.
#include <algorithm>
#include <cstring>
#include <optional>

#include "octet/error.hpp"
#include "runtime/ref/ref_kernels.hpp"
#include "runtime/ref/ref_util.hpp"
#include "runtime/subgraph.hpp"

namespace octet::rt::ref {
namespace {

// A buffer of `bytes`, 8-byte aligned, allocated at create().
struct Buffer {
  std::vector<uint64_t> words;
  explicit Buffer(size_t bytes = 0) : words((bytes + 7) / 8 + 1) {}
  void* data() { return words.data(); }
};

void* at(void* base, size_t offset) { return static_cast<char*>(base) + offset; }
const void* at(const void* base, size_t offset) { return static_cast<const char*>(base) + offset; }

class IfKernel final : public Kernel {
 public:
  explicit IfKernel(KernelContext& ctx) : name_(ctx.describe()) {
    const ir::Node& node = *ctx.node;
    const std::vector<ir::InputType> types = input_types(ctx, node.formal_inputs());
    for (const char* key : {"else_branch", "then_branch"}) {
      Branch& b = branches_[key[0] == 't'];
      // A branch the model never takes may not compile for these shapes; it fails only if taken.
      try {
        b.body.emplace(node.subgraph(key), types, node, ctx.threads);
        if (b.body->outputs().size() != ctx.outputs.size())
          b.error = cat(key, " has ", b.body->outputs().size(), " outputs, the node ", ctx.outputs.size());
        for (size_t i = 0; i < ctx.outputs.size() && b.error.empty(); ++i)
          if (ctx.outputs[i].present())
            b.error = desc_mismatch(b.body->outputs().at(i), ctx.outputs[i], cat(key, " output ", i));
      } catch (const Error& e) {
        b.error = e.what();
      }
      if (!b.error.empty()) b.body.reset();
    }
    for (size_t i = 0; i < ctx.outputs.size(); ++i) {
      size_t bytes = 0;
      for (const Branch& b : branches_)
        if (b.body) bytes = std::max(bytes, b.body->outputs()[i].bytes());
      unused_.emplace_back(bytes);
    }
    captures_ = static_cast<size_t>(node.captures);
    in_.resize(captures_);
    out_.resize(ctx.outputs.size());
    request_plain_inputs(ctx);
  }

  void execute(const ExecArgs& args) override {
    Branch& b = branches_[*static_cast<const uint8_t*>(args.src[0]) != 0];
    if (!b.body) fail(name_, ": ", b.error);
    for (size_t i = 0; i < captures_; ++i) in_[i] = args.src[1 + i];
    for (size_t i = 0; i < out_.size(); ++i) out_[i] = args.dst[i] ? args.dst[i] : unused_[i].data();
    b.body->run(in_, out_);
  }

 private:
  struct Branch {
    std::optional<CompiledBody> body;
    std::string error;  // why the branch cannot run, when body is empty
  };
  Branch branches_[2];  // else, then
  std::vector<Buffer> unused_;  // where outputs nothing reads go
  size_t captures_ = 0;
  std::vector<const void*> in_;
  std::vector<void*> out_;
  std::string name_;
};

// Loop: body (iteration, condition, carried..., captures...) -> (condition, carried..., scanned...).
class LoopKernel final : public Kernel {
 public:
  explicit LoopKernel(KernelContext& ctx) : name_(ctx.describe()) {
    const ir::Node& node = *ctx.node;
    sig_ = ir::loop_signature(*ctx.graph, node);
    std::vector<ir::InputType> types = {{DType::kInt64, {}, true}, {DType::kBool, {}, true}};
    for (const ir::InputType& t : input_types(ctx, 2)) types.push_back(t);
    body_.emplace(node.subgraph("body"), types, node, ctx.threads);
    const auto& outs = body_->outputs();
    for (size_t i = 0; i < sig_.carried; ++i) {
      const std::string why = desc_mismatch(outs[1 + i], ctx.inputs[2 + i], cat("loop-carried value ", i));
      if (!why.empty()) fail(name_, ": ", why);
      state_bytes_.push_back(ctx.inputs[2 + i].bytes());
      state_[0].emplace_back(state_bytes_.back());
      state_[1].emplace_back(state_bytes_.back());
    }
    trips_ = -1;
    for (size_t k = 0; k < sig_.scan_outputs; ++k) {
      TensorDesc stacked = outs[1 + sig_.carried + k];
      const TensorDesc& out = ctx.outputs[sig_.carried + k];
      slice_bytes_.push_back(stacked.bytes());
      discard_.emplace_back(stacked.bytes());
      if (!out.present()) continue;
      if (out.shape.empty()) fail(name_, ": scan output ", k, " has no iteration dim");
      trips_ = out.shape[0];
      stacked.shape.insert(stacked.shape.begin(), trips_);
      const std::string why = desc_mismatch(stacked, out, cat("scan output ", k));
      if (!why.empty()) fail(name_, ": ", why);
    }
    captures_ = static_cast<size_t>(node.captures);
    in_.resize(2 + sig_.carried + captures_);
    out_.resize(1 + sig_.carried + sig_.scan_outputs);
    request_plain_inputs(ctx);
  }

  void execute(const ExecArgs& args) override {
    const int64_t max_trips = args.src[0] ? *static_cast<const int64_t*>(args.src[0]) : INT64_MAX;
    uint8_t cond = args.src[1] ? *static_cast<const uint8_t*>(args.src[1]) : 1;
    for (size_t i = 0; i < sig_.carried; ++i)
      if (state_bytes_[i]) std::memcpy(state_[0][i].data(), args.src[2 + i], state_bytes_[i]);
    const size_t first_capture = 2 + sig_.carried;
    for (size_t i = 0; i < captures_; ++i) in_[first_capture + i] = args.src[first_capture + i];
    int64_t iter = 0;
    uint8_t cond_out = 0;
    int cur = 0;
    for (; iter < max_trips && cond; ++iter) {
      if (trips_ >= 0 && iter >= trips_)
        fail(name_, ": runs more than the ", trips_, " iterations its outputs were compiled for");
      in_[0] = &iter;
      in_[1] = &cond;
      out_[0] = &cond_out;
      for (size_t i = 0; i < sig_.carried; ++i) {
        in_[2 + i] = state_[cur][i].data();
        out_[1 + i] = state_[1 - cur][i].data();
      }
      for (size_t k = 0; k < sig_.scan_outputs; ++k) {
        void* stacked = args.dst[sig_.carried + k];
        out_[1 + sig_.carried + k] = stacked ? at(stacked, static_cast<size_t>(iter) * slice_bytes_[k]) : discard_[k].data();
      }
      body_->run(in_, out_);
      cur = 1 - cur;
      cond = cond_out;
    }
    if (trips_ >= 0 && iter != trips_)
      fail(name_, ": ran ", iter, " iterations; its outputs were compiled for ", trips_);
    for (size_t i = 0; i < sig_.carried; ++i)
      if (args.dst[i] && state_bytes_[i]) std::memcpy(args.dst[i], state_[cur][i].data(), state_bytes_[i]);
  }

 private:
  ir::LoopSignature sig_;
  std::optional<CompiledBody> body_;
  std::vector<size_t> state_bytes_, slice_bytes_;
  std::vector<Buffer> state_[2];
  std::vector<Buffer> discard_;  // per scan output, where an unused one's slices go
  int64_t trips_ = -1;           // iterations the stacked outputs hold; -1 when none is used
  size_t captures_ = 0;
  std::vector<const void*> in_;
  std::vector<void*> out_;
  std::string name_;
};

// Scan: body (state..., slices..., captures...) -> (state..., scanned...). Scan-8 adds a batch
// dim in front of everything and optional per-batch lengths; each batch runs on its own.
class ScanKernel final : public Kernel {
 public:
  explicit ScanKernel(KernelContext& ctx) : name_(ctx.describe()) {
    const ir::Node& node = *ctx.node;
    sig_ = ir::loop_signature(*ctx.graph, node);
    first_ = sig_.batched ? 1 : 0;
    const std::vector<int64_t> dirs = node.attr_ints(sig_.batched ? "directions" : "scan_input_directions",
                                                     std::vector<int64_t>(sig_.scan_inputs, 0));
    const std::vector<int64_t> out_dirs = node.attr_ints("scan_output_directions", std::vector<int64_t>(sig_.scan_outputs, 0));
    const std::vector<int64_t> in_axes = node.attr_ints("scan_input_axes", std::vector<int64_t>(sig_.scan_inputs, 0));
    const std::vector<int64_t> out_axes = node.attr_ints("scan_output_axes", std::vector<int64_t>(sig_.scan_outputs, 0));
    if (dirs.size() != sig_.scan_inputs || out_dirs.size() != sig_.scan_outputs)
      fail(name_, ": scan directions must have one entry per scanned input/output");
    std::vector<ir::InputType> types;
    batches_ = 1;
    for (size_t i = 0; i < sig_.carried; ++i) {
      TensorDesc d = ctx.inputs[first_ + i];
      if (sig_.batched) { batches_ = d.shape.at(0); d.shape.erase(d.shape.begin()); }
      types.push_back(type_of(d));
      state_bytes_.push_back(d.bytes());
      state_[0].emplace_back(d.bytes());
      state_[1].emplace_back(d.bytes());
    }
    for (size_t j = 0; j < sig_.scan_inputs; ++j) {
      Scanned s;
      s.desc = ctx.inputs[first_ + sig_.carried + j];
      if (sig_.batched) { batches_ = s.desc.shape.at(0); s.desc.shape.erase(s.desc.shape.begin()); }
      const int64_t rank = static_cast<int64_t>(s.desc.shape.size());
      s.axis = sig_.batched ? 0 : normalize_axis(in_axes[j], rank);
      s.reverse = dirs[j] != 0;
      const int64_t len = s.desc.shape.at(static_cast<size_t>(s.axis));
      if (j == 0) length_ = len;
      if (len != length_) fail(name_, ": scanned inputs 0 and ", j, " have lengths ", length_, " and ", len);
      TensorDesc slice = s.desc;
      slice.shape.erase(slice.shape.begin() + s.axis);
      types.push_back(type_of(slice));
      s.slice = Buffer(slice.bytes());
      scanned_in_.push_back(std::move(s));
    }
    for (const ir::InputType& t : input_types(ctx, node.formal_inputs())) types.push_back(t);
    body_.emplace(node.subgraph("body"), types, node, ctx.threads);
    const auto& outs = body_->outputs();
    for (size_t i = 0; i < sig_.carried; ++i) {
      const std::string why = desc_mismatch(outs[i], TensorDesc{types[i].dtype, types[i].shape, Layout::kPlain},
                                            cat("state ", i));
      if (!why.empty()) fail(name_, ": ", why);
    }
    for (size_t k = 0; k < sig_.scan_outputs; ++k) {
      Scanned s;
      s.desc = ctx.outputs[sig_.carried + k];
      if (sig_.batched) s.desc.shape.erase(s.desc.shape.begin());
      s.axis = sig_.batched ? 0 : normalize_axis(out_axes[k], static_cast<int64_t>(s.desc.shape.size()));
      s.reverse = out_dirs[k] != 0;
      TensorDesc stacked = outs[sig_.carried + k];
      stacked.shape.insert(stacked.shape.begin() + s.axis, length_);
      const std::string why = desc_mismatch(stacked, s.desc, cat("scan output ", k));
      if (!why.empty()) fail(name_, ": ", why);
      s.slice = Buffer(outs[sig_.carried + k].bytes());
      scanned_out_.push_back(std::move(s));
    }
    captures_ = static_cast<size_t>(node.captures);
    in_.resize(sig_.carried + sig_.scan_inputs + captures_);
    out_.resize(sig_.carried + sig_.scan_outputs);
    request_plain_inputs(ctx);
  }

  void execute(const ExecArgs& args) override {
    const size_t first_capture = first_ + sig_.carried + sig_.scan_inputs;
    for (size_t i = 0; i < captures_; ++i) in_[sig_.carried + sig_.scan_inputs + i] = args.src[first_capture + i];
    for (int64_t b = 0; b < batches_; ++b) {
      int64_t length = length_;
      if (sig_.batched && args.src[0]) {
        length = static_cast<int64_t>(read_number(DType::kInt32, args.src[0], b));
        if (length < 0 || length > length_) fail(name_, ": sequence length ", length, " of batch ", b, " is out of range");
      }
      run_batch(args, b, length);
    }
  }

 private:
  struct Scanned {
    TensorDesc desc;  // the whole scanned tensor (one batch's for Scan-8)
    int64_t axis = 0;
    bool reverse = false;
    Buffer slice;     // one iteration's slice
  };

  void run_batch(const ExecArgs& args, int64_t b, int64_t length) {
    const size_t ub = static_cast<size_t>(b);
    for (size_t i = 0; i < sig_.carried; ++i)
      if (state_bytes_[i]) std::memcpy(state_[0][i].data(), at(args.src[first_ + i], ub * state_bytes_[i]), state_bytes_[i]);
    int cur = 0;
    for (int64_t t = 0; t < length; ++t) {
      for (size_t j = 0; j < sig_.scan_inputs; ++j) {
        Scanned& s = scanned_in_[j];
        const void* src = at(args.src[first_ + sig_.carried + j], ub * s.desc.bytes());
        gather_slice(src, s.desc.shape, dtype_size(s.desc.dtype), s.axis, s.reverse ? length - 1 - t : t, s.slice.data());
        in_[sig_.carried + j] = s.slice.data();
      }
      for (size_t i = 0; i < sig_.carried; ++i) {
        in_[i] = state_[cur][i].data();
        out_[i] = state_[1 - cur][i].data();
      }
      for (size_t k = 0; k < sig_.scan_outputs; ++k) out_[sig_.carried + k] = scanned_out_[k].slice.data();
      body_->run(in_, out_);
      for (size_t k = 0; k < sig_.scan_outputs; ++k) {
        Scanned& s = scanned_out_[k];
        if (!args.dst[sig_.carried + k]) continue;
        void* dst = at(args.dst[sig_.carried + k], ub * s.desc.bytes());
        if (t == 0 && length < length_) std::memset(dst, 0, s.desc.bytes());  // past a batch's length
        scatter_slice(s.slice.data(), s.desc.shape, dtype_size(s.desc.dtype), s.axis, s.reverse ? length - 1 - t : t, dst);
      }
      cur = 1 - cur;
    }
    for (size_t i = 0; i < sig_.carried; ++i)
      if (args.dst[i] && state_bytes_[i]) std::memcpy(at(args.dst[i], ub * state_bytes_[i]), state_[cur][i].data(), state_bytes_[i]);
  }

  ir::LoopSignature sig_;
  size_t first_ = 0;  // 1 for Scan-8 (sequence_lens)
  int64_t batches_ = 1, length_ = 0;
  std::optional<CompiledBody> body_;
  std::vector<size_t> state_bytes_;
  std::vector<Buffer> state_[2];
  std::vector<Scanned> scanned_in_, scanned_out_;
  size_t captures_ = 0;
  std::vector<const void*> in_;
  std::vector<void*> out_;
  std::string name_;
};

std::string why_not_if(const KernelContext& ctx) {
  if (!input_present(ctx, 0) || ctx.inputs[0].dtype != DType::kBool || ctx.inputs[0].numel() != 1)
    return "the condition must be one bool";
  return "";
}

std::string why_not_loop(const KernelContext& ctx) {
  if (input_present(ctx, 0) && (ctx.inputs[0].dtype != DType::kInt64 || ctx.inputs[0].numel() != 1))
    return "the trip count must be one int64";
  if (input_present(ctx, 1) && (ctx.inputs[1].dtype != DType::kBool || ctx.inputs[1].numel() != 1))
    return "the condition must be one bool";
  return "";
}

std::string why_not_scan(const KernelContext& ctx) {
  if (ctx.graph->opset < 9 && input_present(ctx, 0) && ctx.inputs[0].dtype != DType::kInt32)
    return "sequence_lens must be int32";
  return "";
}

template <class K>
std::unique_ptr<Kernel> create(KernelContext& ctx) { return std::make_unique<K>(ctx); }

}  // namespace

std::vector<KernelEntry> control_flow_entries() {
  return {{"ref_if", ir::OpKind::If, guarded<why_not_if>, create<IfKernel>},
          {"ref_loop", ir::OpKind::Loop, guarded<why_not_loop>, create<LoopKernel>},
          {"ref_scan", ir::OpKind::Scan, guarded<why_not_scan>, create<ScanKernel>}};
}

}  // namespace octet::rt::ref
