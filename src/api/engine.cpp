// The public API over the IR, the passes and the plan.
#include "octet/engine.hpp"

#include <omp.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <mutex>

#include "ir/graph.hpp"
#include "ir/shape_inference.hpp"
#include "onnx/loader.hpp"
#include "onnx/writer.hpp"
#include "passes/pipeline.hpp"
#include "runtime/plan.hpp"

namespace octet {
namespace {

ValueInfo info_of(const ir::Value& v) {
  ValueInfo info;
  info.name = v.name;
  info.dtype = v.dtype;
  info.shape = v.shape;
  info.dim_params = v.dim_params;
  return info;
}

// The temporary file write_file_atomically is writing, for the signal handler below. A
// SIGINT/SIGTERM/SIGHUP (or SIGXFSZ: file size limit) during the write removes it and then
// lets the signal take its default action, so an interrupted run leaves neither a partial
// target (it is only ever renamed into place whole) nor a stray temporary file. SIGKILL
// cannot be caught: then only the temporary file can remain, never a partial target.
constexpr int kCleanupSignals[] = {SIGINT, SIGTERM, SIGHUP, SIGXFSZ};
char g_tmp_path[4096];
volatile sig_atomic_t g_tmp_active = 0;

extern "C" void remove_tmp_and_reraise(int sig) {
  if (g_tmp_active) ::unlink(g_tmp_path);
  ::raise(sig);  // SA_RESETHAND restored the default action; SA_NODEFER lets it through
}

// Installs the handler for the signals still at their default action (a caller that ignores
// SIGHUP, as nohup does, keeps ignoring it) and restores them when the write is over.
class TempFileGuard {
 public:
  explicit TempFileGuard(const std::string& tmp) : lock_(mutex()) {
    const size_t n = std::min(tmp.size(), sizeof g_tmp_path - 1);
    std::memcpy(g_tmp_path, tmp.data(), n);
    g_tmp_path[n] = '\0';
    g_tmp_active = tmp.size() < sizeof g_tmp_path;
    struct sigaction sa {};
    sa.sa_handler = remove_tmp_and_reraise;
    sa.sa_flags = SA_RESETHAND | SA_NODEFER;
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < std::size(kCleanupSignals); ++i) {
      struct sigaction old {};
      if (::sigaction(kCleanupSignals[i], nullptr, &old) != 0 || old.sa_handler != SIG_DFL) continue;
      installed_[i] = ::sigaction(kCleanupSignals[i], &sa, &old_[i]) == 0;
    }
  }
  ~TempFileGuard() {
    for (size_t i = 0; i < std::size(kCleanupSignals); ++i)
      if (installed_[i]) ::sigaction(kCleanupSignals[i], &old_[i], nullptr);
    g_tmp_active = 0;
  }
  TempFileGuard(const TempFileGuard&) = delete;
  TempFileGuard& operator=(const TempFileGuard&) = delete;

 private:
  static std::mutex& mutex() {
    static std::mutex m;
    return m;
  }
  std::lock_guard<std::mutex> lock_;
  bool installed_[std::size(kCleanupSignals)] = {};
  struct sigaction old_[std::size(kCleanupSignals)] = {};
};

}  // namespace

Model Model::load(const std::string& path) {
  return Model(std::make_shared<ir::Graph>(onnx_io::load_model(path)));
}

void Model::save(const std::string& path) const { onnx_io::save_model(*graph_, path); }

Model Model::load_from_bytes(const std::string& bytes, const std::string& origin) {
  return Model(std::make_shared<ir::Graph>(onnx_io::load_model_from_bytes(bytes, origin)));
}

std::string Model::to_bytes() const { return onnx_io::serialize_model(*graph_); }

std::vector<ValueInfo> Model::inputs() const {
  std::vector<ValueInfo> r;
  for (ir::ValueId v : graph_->inputs) r.push_back(info_of(graph_->value(v)));
  return r;
}

std::vector<ValueInfo> Model::outputs() const {
  std::vector<ValueInfo> r;
  for (ir::ValueId v : graph_->outputs) r.push_back(info_of(graph_->value(v)));
  return r;
}

const std::string& Model::path() const { return graph_->source_path; }

ir::Graph& Model::mutable_graph() {
  // Copy on write: weights stay shared, the structure becomes this Model's own.
  if (graph_.use_count() > 1) graph_ = std::make_shared<ir::Graph>(*graph_);
  return *graph_;
}

CompiledModel CompiledModel::compile(const Model& model, const CompileOptions& options) {
  auto graph = std::make_shared<ir::Graph>(model.graph());
  // A plan has fixed shapes: a dynamic leading (batch) dim is 1 unless asked otherwise.
  ir::set_input_shapes(*graph, options.input_shapes, options.batch > 0 ? options.batch : 1);
  ir::infer_shapes(*graph, /*require_static=*/false);
  // Without optimization the cleanup passes still run: folding Shape chains on the now fixed
  // input shapes is what gives a batch-agnostic model's Reshapes their static targets.
  passes::PassOptions pass_options;
  pass_options.verbose = options.verbose;
  pass_options.evaluate = rt::evaluate_node;
  pass_options.fuse = options.optimize;
  passes::optimize(*graph, pass_options);
  ir::infer_shapes(*graph, /*require_static=*/true);
  rt::PlanOptions plan_options;
  plan_options.threads = options.threads > 0 ? options.threads : omp_get_num_procs();
  plan_options.verbose = options.verbose;
  CompiledModel compiled;
  compiled.plan_ = rt::Plan::compile(graph, plan_options);
  for (ir::ValueId v : graph->inputs) compiled.inputs_.push_back(info_of(graph->value(v)));
  for (ir::ValueId v : graph->outputs) compiled.outputs_.push_back(info_of(graph->value(v)));
  return compiled;
}

std::vector<Tensor> CompiledModel::run(const std::vector<Tensor>& inputs) {
  if (inputs.size() != inputs_.size())
    fail("the model takes ", inputs_.size(), " inputs, ", inputs.size(), " were given");
  std::vector<Tensor> converted(inputs.size());
  std::vector<const void*> src(inputs.size());
  for (size_t i = 0; i < inputs.size(); ++i) {
    const ValueInfo& want = inputs_[i];
    if (inputs[i].shape != want.shape)
      fail("input '", want.name, "' has shape ", shape_str(inputs[i].shape), "; the model was compiled for ",
           shape_str(want.shape));
    if (inputs[i].dtype != want.dtype) {
      const bool numeric = inputs[i].dtype != DType::kUndefined;
      if (!numeric) fail("input '", want.name, "' has no data type");
      converted[i] = convert_tensor(inputs[i], want.dtype);
      src[i] = converted[i].bytes.data();
    } else {
      src[i] = inputs[i].bytes.data();
    }
  }
  std::vector<Tensor> outputs;
  std::vector<void*> dst;
  for (const rt::TensorDesc& d : plan_->output_descs()) outputs.emplace_back(d.dtype, d.shape);
  for (Tensor& t : outputs) dst.push_back(t.bytes.data());
  plan_->run(src, dst);
  return outputs;
}

std::map<std::string, Tensor> CompiledModel::run(const std::map<std::string, Tensor>& inputs) {
  std::vector<Tensor> ordered;
  for (const ValueInfo& info : inputs_) {
    auto it = inputs.find(info.name);
    if (it == inputs.end()) fail("input '", info.name, "' was not given");
    ordered.push_back(it->second);
  }
  for (const auto& [name, tensor] : inputs) {
    bool known = false;
    for (const ValueInfo& info : inputs_) known = known || info.name == name;
    if (!known) fail("the model has no input named '", name, "'");
  }
  std::vector<Tensor> outs = run(ordered);
  std::map<std::string, Tensor> result;
  for (size_t i = 0; i < outs.size(); ++i) result[outputs_[i].name] = std::move(outs[i]);
  return result;
}

const ir::Graph& CompiledModel::graph() const { return plan_->graph(); }

std::vector<NodeKernel> CompiledModel::kernels() const {
  std::vector<NodeKernel> r;
  const auto& steps = plan_->steps();
  const auto& ms = plan_->step_ms();
  for (size_t s = 0; s < steps.size(); ++s)
    r.push_back({steps[s].node_name, ir::op_name(steps[s].op), steps[s].entry->name, steps[s].compute_dtype,
                 s < ms.size() ? ms[s] : 0.0});
  return r;
}

void CompiledModel::set_profiling(bool on) { plan_->set_profiling(on); }
size_t CompiledModel::arena_bytes() const { return plan_->arena_bytes(); }
int CompiledModel::threads() const { return plan_->threads(); }

void write_file_atomically(const std::string& path, const std::string& bytes, const std::string& protect) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!protect.empty() && fs::exists(path, ec) && fs::equivalent(path, protect, ec))
    fail(path, ": refusing to overwrite the input file; choose another output path");
  const fs::path target(path);
  const fs::path dir = target.has_parent_path() ? target.parent_path() : fs::path(".");
  if (!fs::is_directory(dir, ec)) fail(path, ": folder '", dir.string(), "' does not exist");
  const fs::path tmp = dir / cat(".", target.filename().string(), ".tmp.", getpid());
  TempFileGuard guard(tmp.string());
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) fail(path, ": cannot write in folder '", dir.string(), "'");
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    out.flush();
    if (!out) {
      out.close();
      fs::remove(tmp, ec);
      fail(path, ": write failed (disk full?)");
    }
  }
  fs::rename(tmp, target, ec);
  if (ec) {
    std::error_code ignore;
    fs::remove(tmp, ignore);
    fail(path, ": cannot rename the temporary file into place: ", ec.message());
  }
}

}  // namespace octet
