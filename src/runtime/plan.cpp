// Compiling a graph into a Plan and running it; see plan.hpp for the lifecycle.
#include "runtime/plan.hpp"

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <list>
#include <map>

#include "ir/cost.hpp"
#include "octet/error.hpp"
#include "runtime/memory_planner.hpp"
#include "runtime/omp_team.hpp"

namespace octet::rt {
namespace {

// Threads for a plan. Splitting a layer across threads costs a fork and a barrier; a model
// whose every layer is small runs faster on one thread: the Fashion-MNIST ResNet (28x28
// inputs, 1.8M-MAC convolutions of ~20 us) took 1.7x longer in INT8 on two threads than on
// one. The count is one per plan, not per step: changing OpenMP's team size between steps
// docks the spare thread, and waking it again while another process held the core stalled
// whole runs for tens of milliseconds.
constexpr double kMinParallelMacs = 4.0 * 1024 * 1024;  // ~40 us of FP32 work on one AVX-512 core
constexpr double kMinParallelElements = 64.0 * 1024;    // memory-bound steps: ~40 us of traffic

bool worth_splitting(const ir::Graph& graph, const ir::Node& node) {
  const double macs = ir::node_macs(graph, node);
  if (macs > 0) return macs >= kMinParallelMacs;
  return ir::node_output_elements(graph, node) >= kMinParallelElements;
}

int plan_threads(const ir::Graph& graph, int threads) {
  if (threads <= 1) return 1;
  for (const ir::Node& node : graph.nodes)
    if (!node.dead && worth_splitting(graph, node)) return threads;
  return 1;
}

struct Builder {
  const ir::Graph& graph;
  const PlanOptions& options;
  std::vector<PlanTensor>& tensors;
  std::vector<PlanStep>& steps;
  std::list<std::vector<uint8_t>>& owned_constants;  // constants reordered at compile time
  std::map<std::pair<int, Layout>, int> reordered;  // (tensor, layout) -> tensor in that layout

  int add_tensor(const std::string& name, const TensorDesc& desc) {
    PlanTensor t;
    t.name = name;
    t.desc = desc;
    tensors.push_back(t);
    return static_cast<int>(tensors.size() - 1);
  }

  // Picks the first kernel in table order that accepts ctx with its inputs as they arrive.
  // When none does and some input arrives in a non-plain layout, a second round offers them
  // plain (every kernel reads plain; reference kernels read nothing else): the winner's
  // context then asks for plain inputs and the caller inserts the Reorders. A layout alone
  // never refuses a node. Explains every refusal.
  const KernelEntry* choose(KernelContext& ctx) {
    std::string reasons;
    KernelContext plain = ctx;
    bool any_laid_out = false;
    for (TensorDesc& d : plain.inputs)
      if (d.present() && d.layout != Layout::kPlain) {
        d.layout = Layout::kPlain;
        any_laid_out = true;
      }
    for (KernelContext* round : {&ctx, any_laid_out ? &plain : nullptr}) {
      if (!round) continue;
      for (const KernelEntry* e : kernels_for(ctx.node->op)) {
        const std::string why = e->why_not(*round);
        if (why.empty()) {
          if (options.verbose)
            std::cerr << "octet: " << ctx.describe() << " -> " << e->name
                      << (round == &plain ? " (inputs reordered to plain)" : "") << reasons << "\n";
          if (round == &plain) ctx.inputs = plain.inputs;
          return e;
        }
        reasons += cat("\n    skipped ", e->name, round == &plain ? " (inputs plain)" : "", ": ", why);
      }
    }
    if (kernels_for(ctx.node->op).empty())
      fail(ctx.describe(), ": op type '", op_name(ctx.node->op), "' is not supported by octet's runtime",
           graph.source_path.empty() ? "" : " (model '", graph.source_path, graph.source_path.empty() ? "" : "')");
    fail(ctx.describe(), ": no kernel accepts it:", reasons);
  }

  // A Reorder kernel taking tensor `src` to `layout`; `node` must outlive nothing (kernels
  // keep no pointers into the context).
  std::unique_ptr<Kernel> make_reorder(int src, Layout layout, ir::Node& node, const KernelEntry*& entry, TensorDesc& out) {
    node.name = tensors[static_cast<size_t>(src)].name + "/reorder_" + layout_name(layout);
    node.op = ir::OpKind::Reorder;
    KernelContext ctx;
    ctx.graph = &graph;
    ctx.node = &node;
    ctx.threads = options.threads;
    ctx.inputs = {tensors[static_cast<size_t>(src)].desc};
    ctx.constants = {nullptr};
    out = ctx.inputs[0];
    out.layout = layout;
    ctx.outputs = {out};
    entry = choose(ctx);
    return entry->create(ctx);
  }

  // Returns a tensor holding `src` in `layout`, adding a Reorder step the first time. A
  // constant is reordered once, here, into storage the plan owns: a kernel that wants its
  // constant operand in the layout of its other inputs (a Concat with a constant block, a
  // binary op with a full-size constant) gets it without a step per run.
  int in_layout(int src, Layout layout) {
    if (tensors[static_cast<size_t>(src)].desc.layout == layout) return src;
    auto key = std::make_pair(src, layout);
    if (auto it = reordered.find(key); it != reordered.end()) return it->second;
    ir::Node node;
    const KernelEntry* entry = nullptr;
    TensorDesc out;
    std::unique_ptr<Kernel> kernel = make_reorder(src, layout, node, entry, out);
    const int dst = add_tensor(node.name, out);
    if (tensors[static_cast<size_t>(src)].storage == PlanTensor::Storage::kConstant) {
      std::vector<uint8_t>& data = owned_constants.emplace_back(out.bytes(), 0);  // zero padding
      std::vector<uint8_t> scratch(kernel->scratch_bytes());
      const void* in = tensors[static_cast<size_t>(src)].constant;
      void* dst_ptr = data.data();
      kernel->execute({&in, &dst_ptr, scratch.data()});
      tensors[static_cast<size_t>(dst)].storage = PlanTensor::Storage::kConstant;
      tensors[static_cast<size_t>(dst)].constant = data.data();
    } else {
      PlanStep step;
      step.node_name = node.name;
      step.op = node.op;
      step.entry = entry;
      step.kernel = std::move(kernel);
      step.srcs = {src};
      step.dsts = {dst};
      step.compute_dtype = out.dtype;
      steps.push_back(std::move(step));
    }
    reordered[key] = dst;
    return dst;
  }
};

// The tensor owning the storage of each tensor: the end of its alias_of chain. A chain of
// in-place steps makes those chains as long as the graph is deep, so lookups compress the
// path they walk (union-find) instead of walking it again per step.
class AliasRoots {
 public:
  explicit AliasRoots(const std::vector<PlanTensor>& tensors) : parent_(tensors.size()) {
    for (size_t t = 0; t < tensors.size(); ++t) parent_[t] = tensors[t].alias_of;
  }
  int find(int t) {
    int r = t;
    while (parent_[static_cast<size_t>(r)] >= 0) r = parent_[static_cast<size_t>(r)];
    while (parent_[static_cast<size_t>(t)] >= 0) {
      const int next = parent_[static_cast<size_t>(t)];
      if (next != r) parent_[static_cast<size_t>(t)] = r;
      t = next;
    }
    return r;
  }
  // `t` (a root) now shares the storage of `to`, as its alias_of says.
  void link(int t, int to) { parent_[static_cast<size_t>(t)] = to; }

 private:
  std::vector<int> parent_;
};

// Lets output 0 of a step take an input's buffer (KernelContext::output0_may_alias) when the
// input lives in the arena, no later step or graph output reads it, no other input of the
// step shares its storage, and both are stored alike. Runs in step order, so chains of
// in-place steps (residual after residual) keep sharing one buffer.
void share_inplace_buffers(const std::vector<PlanStep>& steps, std::vector<PlanTensor>& tensors,
                           const std::vector<int>& output_tensors, const std::vector<std::pair<int, int>>& inplace) {
  if (inplace.empty()) return;
  AliasRoots roots(tensors);
  auto root = [&](int t) { return roots.find(t); };
  std::vector<int> last_read(tensors.size(), -1);  // per root tensor
  for (size_t s = 0; s < steps.size(); ++s)
    for (int t : steps[s].srcs)
      if (t >= 0) last_read[static_cast<size_t>(root(t))] = static_cast<int>(s);
  for (int t : output_tensors) last_read[static_cast<size_t>(root(t))] = static_cast<int>(steps.size());
  for (const auto& [s, i] : inplace) {
    const PlanStep& step = steps[static_cast<size_t>(s)];
    if (static_cast<size_t>(i) >= step.srcs.size() || step.srcs[static_cast<size_t>(i)] < 0 || step.dsts.empty() ||
        step.dsts[0] < 0)
      continue;
    const int in = step.srcs[static_cast<size_t>(i)], out = step.dsts[0], r = root(in);
    const PlanTensor& src = tensors[static_cast<size_t>(in)];
    const PlanTensor& dst = tensors[static_cast<size_t>(out)];
    if (tensors[static_cast<size_t>(r)].storage != PlanTensor::Storage::kArena || last_read[static_cast<size_t>(r)] != s ||
        dst.alias_of >= 0 || src.desc.layout != dst.desc.layout || src.desc.bytes() != dst.desc.bytes())
      continue;
    bool shared = false;
    for (size_t j = 0; j < step.srcs.size(); ++j)
      if (j != static_cast<size_t>(i) && step.srcs[j] >= 0 && root(step.srcs[j]) == r) shared = true;
    if (shared) continue;
    tensors[static_cast<size_t>(out)].alias_of = in;
    roots.link(out, in);
    last_read[static_cast<size_t>(r)] = last_read[static_cast<size_t>(out)];
  }
}

void* aligned_alloc_or_throw(size_t bytes, const char* what) {
  if (bytes == 0) return nullptr;
  void* p = std::aligned_alloc(64, (bytes + 63) / 64 * 64);
  if (!p) fail("out of memory allocating ", bytes, " bytes for the ", what);
  return p;
}

}  // namespace

Plan::~Plan() {
  std::free(arena_);
  std::free(scratch_);
}

std::unique_ptr<Plan> Plan::compile(std::shared_ptr<const ir::Graph> graph_ptr, const PlanOptions& options) {
  std::unique_ptr<Plan> plan(new Plan());
  plan->graph_ = std::move(graph_ptr);
  const ir::Graph& graph = *plan->graph_;
  PlanOptions effective = options;
  effective.threads = plan_threads(graph, options.threads);
  plan->threads_ = effective.threads;
  // oneDNN fixes a primitive's thread partitioning from OpenMP's count when it is created.
  const ScopedOmpTeam team(effective.threads);
  Builder b{graph, effective, plan->tensors_, plan->steps_, plan->owned_constants_, {}};

  std::vector<int> value_tensor(graph.values.size(), -1);
  auto desc_of = [&](ir::ValueId v) {
    const ir::Value& value = graph.value(v);
    TensorDesc d;
    d.dtype = value.dtype;
    d.shape = value.shape;
    for (int64_t dim : value.shape)
      if (dim < 0) fail("value '", value.name, "' has unknown shape ", shape_str(value.shape), " at compile time");
    return d;
  };
  for (size_t i = 0; i < graph.inputs.size(); ++i) {
    const ir::ValueId v = graph.inputs[i];
    const int t = b.add_tensor(graph.value(v).name, desc_of(v));
    plan->tensors_[static_cast<size_t>(t)].storage = PlanTensor::Storage::kInput;
    plan->tensors_[static_cast<size_t>(t)].input_index = static_cast<int>(i);
    value_tensor[static_cast<size_t>(v)] = t;
    plan->input_descs_.push_back(plan->tensors_[static_cast<size_t>(t)].desc);
  }
  auto tensor_of = [&](ir::ValueId v) {
    int& t = value_tensor[static_cast<size_t>(v)];
    if (t < 0 && graph.value(v).is_constant()) {
      const Tensor& data = *graph.value(v).data;
      t = b.add_tensor(graph.value(v).name, TensorDesc{data.dtype, data.shape, Layout::kPlain});
      plan->tensors_[static_cast<size_t>(t)].storage = PlanTensor::Storage::kConstant;
      plan->tensors_[static_cast<size_t>(t)].constant = data.bytes.data();
    }
    if (t < 0) fail("value '", graph.value(v).name, "' is read before any node produces it");
    return t;
  };

  std::vector<std::pair<int, int>> inplace;  // (step, input) whose buffer output 0 may take
  for (ir::NodeId n : graph.topological_order()) {
    const ir::Node& node = graph.nodes[static_cast<size_t>(n)];
    KernelContext ctx;
    ctx.graph = &graph;
    ctx.node = &node;
    ctx.threads = effective.threads;
    std::vector<int> srcs;
    for (ir::ValueId in : node.inputs) {
      if (in == ir::kNoValue) {
        srcs.push_back(-1);
        ctx.inputs.emplace_back();
        ctx.constants.push_back(nullptr);
        continue;
      }
      const int t = tensor_of(in);
      srcs.push_back(t);
      ctx.inputs.push_back(plan->tensors_[static_cast<size_t>(t)].desc);
      ctx.constants.push_back(graph.value(in).data.get());
    }
    for (ir::ValueId out : node.outputs) ctx.outputs.push_back(out == ir::kNoValue ? TensorDesc{} : desc_of(out));

    const KernelEntry* entry = b.choose(ctx);
    PlanStep step;
    step.node_name = node.name;
    step.op = node.op;
    step.entry = entry;
    if (!ctx.inputs.empty()) step.compute_dtype = ctx.inputs[0].dtype;
    if (entry->output_aliases_input0) {
      if (srcs.empty() || srcs[0] < 0) fail(node.describe(), ": a view kernel needs input 0");
      srcs[0] = b.in_layout(srcs[0], Layout::kPlain);
      const int dst = b.add_tensor(graph.value(node.outputs[0]).name, ctx.outputs[0]);
      plan->tensors_[static_cast<size_t>(dst)].alias_of = srcs[0];
      value_tensor[static_cast<size_t>(node.outputs[0])] = dst;
      step.srcs = {srcs[0]};
      step.dsts = {dst};
      plan->steps_.push_back(std::move(step));
      continue;
    }
    step.kernel = entry->create(ctx);
    if (ctx.output0_may_alias >= 0) inplace.emplace_back(static_cast<int>(plan->steps_.size()), ctx.output0_may_alias);
    for (size_t i = 0; i < srcs.size(); ++i) {
      if (srcs[i] < 0) continue;
      const PlanTensor& src = plan->tensors_[static_cast<size_t>(srcs[i])];
      if (ctx.inputs[i].layout != src.desc.layout) srcs[i] = b.in_layout(srcs[i], ctx.inputs[i].layout);
    }
    step.srcs = srcs;
    for (size_t i = 0; i < node.outputs.size(); ++i) {
      if (node.outputs[i] == ir::kNoValue) { step.dsts.push_back(-1); continue; }
      const int dst = b.add_tensor(graph.value(node.outputs[i]).name, ctx.outputs[i]);
      value_tensor[static_cast<size_t>(node.outputs[i])] = dst;
      step.dsts.push_back(dst);
    }
    plan->scratch_bytes_ = std::max(plan->scratch_bytes_, step.kernel->scratch_bytes());
    plan->steps_.push_back(std::move(step));
  }

  for (ir::ValueId v : graph.outputs) {
    const int t = b.in_layout(tensor_of(v), Layout::kPlain);
    plan->output_tensors_.push_back(t);
    plan->output_descs_.push_back(plan->tensors_[static_cast<size_t>(t)].desc);
  }
  for (PlanStep& step : plan->steps_)
    if (step.kernel) plan->scratch_bytes_ = std::max(plan->scratch_bytes_, step.kernel->scratch_bytes());

  const int step_count = static_cast<int>(plan->steps_.size());
  share_inplace_buffers(plan->steps_, plan->tensors_, plan->output_tensors_, inplace);

  // Liveness of every arena tensor, counting reads through views as reads of the root.
  AliasRoots roots(plan->tensors_);
  plan->root_.resize(plan->tensors_.size());
  for (size_t t = 0; t < plan->tensors_.size(); ++t) plan->root_[t] = roots.find(static_cast<int>(t));
  auto root = [&](int t) { return plan->root_[static_cast<size_t>(t)]; };
  std::vector<int> request_of(plan->tensors_.size(), -1);
  std::vector<BufferRequest> requests;
  for (int s = 0; s < step_count; ++s) {
    for (int t : plan->steps_[static_cast<size_t>(s)].dsts) {
      if (t < 0) continue;
      const int r = root(t);
      if (plan->tensors_[static_cast<size_t>(r)].storage != PlanTensor::Storage::kArena) continue;
      if (request_of[static_cast<size_t>(r)] < 0) {
        request_of[static_cast<size_t>(r)] = static_cast<int>(requests.size());
        requests.push_back({plan->tensors_[static_cast<size_t>(r)].desc.bytes(), s, s});
      }
    }
    for (int t : plan->steps_[static_cast<size_t>(s)].srcs) {
      if (t < 0) continue;
      const int r = request_of[static_cast<size_t>(root(t))];
      if (r >= 0) requests[static_cast<size_t>(r)].last_step = s;
    }
  }
  for (int t : plan->output_tensors_) {
    const int r = request_of[static_cast<size_t>(root(t))];
    if (r >= 0) requests[static_cast<size_t>(r)].last_step = step_count;
  }
  const MemoryPlan memory = plan_memory(requests);
  for (size_t t = 0; t < plan->tensors_.size(); ++t)
    if (request_of[t] >= 0) plan->tensors_[t].offset = memory.offsets[static_cast<size_t>(request_of[t])];
  plan->arena_bytes_ = memory.arena_bytes;
  plan->arena_ = aligned_alloc_or_throw(plan->arena_bytes_, "activation arena");
  // Blocked layouts rely on zero padding channels; a zeroed arena gives every kernel that.
  if (plan->arena_) std::memset(plan->arena_, 0, plan->arena_bytes_);
  plan->scratch_ = aligned_alloc_or_throw(plan->scratch_bytes_, "kernel scratch");

  plan->step_src_.resize(plan->steps_.size());
  plan->step_dst_.resize(plan->steps_.size());
  for (size_t s = 0; s < plan->steps_.size(); ++s) {
    plan->step_src_[s].resize(plan->steps_[s].srcs.size());
    plan->step_dst_[s].resize(plan->steps_[s].dsts.size());
  }
  plan->step_ms_.assign(plan->steps_.size(), 0.0);
  return plan;
}

void* Plan::tensor_ptr(int t, const std::vector<const void*>& inputs) const {
  const PlanTensor& pt = tensors_[static_cast<size_t>(root_[static_cast<size_t>(t)])];
  switch (pt.storage) {
    case PlanTensor::Storage::kArena: return static_cast<char*>(arena_) + pt.offset;
    case PlanTensor::Storage::kConstant: return const_cast<void*>(pt.constant);
    case PlanTensor::Storage::kInput: return const_cast<void*>(inputs[static_cast<size_t>(pt.input_index)]);
  }
  return nullptr;
}

void Plan::run(const std::vector<const void*>& inputs, const std::vector<void*>& outputs) {
  if (inputs.size() != input_descs_.size())
    fail("the model takes ", input_descs_.size(), " inputs, ", inputs.size(), " were given");
  if (outputs.size() != output_descs_.size())
    fail("the model has ", output_descs_.size(), " outputs, ", outputs.size(), " buffers were given");
  const ScopedOmpTeam team(threads_);
  using Clock = std::chrono::steady_clock;
  for (size_t s = 0; s < steps_.size(); ++s) {
    PlanStep& step = steps_[s];
    if (!step.kernel) continue;  // a view: its output is its input's storage
    auto& src = step_src_[s];
    auto& dst = step_dst_[s];
    for (size_t i = 0; i < step.srcs.size(); ++i) src[i] = step.srcs[i] < 0 ? nullptr : tensor_ptr(step.srcs[i], inputs);
    for (size_t i = 0; i < step.dsts.size(); ++i) dst[i] = step.dsts[i] < 0 ? nullptr : tensor_ptr(step.dsts[i], inputs);
    if (profiling_) {
      const auto t0 = Clock::now();
      step.kernel->execute({src.data(), dst.data(), scratch_});
      step_ms_[s] = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
    } else {
      step.kernel->execute({src.data(), dst.data(), scratch_});
    }
  }
  // An empty output may have no buffer at all; memcpy with a null pointer is undefined even
  // for zero bytes.
  for (size_t i = 0; i < outputs.size(); ++i)
    if (const size_t bytes = output_descs_[i].bytes(); bytes > 0)
      std::memcpy(outputs[i], tensor_ptr(output_tensors_[i], inputs), bytes);
}

}  // namespace octet::rt
