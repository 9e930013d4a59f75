// The public API over the IR, the passes and the plan.
#include "octet/engine.hpp"

#include <omp.h>

#include <algorithm>

#include "api/prepare_graph.hpp"
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

std::map<std::string, Shape> shapes_for_sample(const std::vector<ValueInfo>& inputs, const std::vector<Tensor>& sample,
                                               std::map<std::string, Shape> fixed, int64_t batch) {
  for (size_t k = 0; k < inputs.size() && k < sample.size(); ++k) {
    const ValueInfo& in = inputs[k];
    const bool open = std::any_of(in.shape.begin(), in.shape.end(), [](int64_t d) { return d < 0; });
    if (!open || fixed.count(in.name)) continue;
    Shape shape = sample[k].shape;
    if (batch > 0 && !shape.empty() && !in.shape.empty() && in.shape[0] < 0) shape[0] = batch;
    fixed[in.name] = std::move(shape);
  }
  return fixed;
}

CompiledModel CompiledModel::compile(const Model& model, const CompileOptions& options) {
  auto graph = std::make_shared<ir::Graph>(model.graph());
  // A plan has fixed shapes: a dynamic leading (batch) dim is 1 unless asked otherwise.
  // Without optimization the cleanup passes still run: folding Shape chains on the now fixed
  // input shapes is what gives a batch-agnostic model's Reshapes their static targets.
  PrepareOptions prepare;
  prepare.input_shapes = options.input_shapes;
  prepare.batch = options.batch > 0 ? options.batch : 1;
  prepare.fuse = options.optimize;
  prepare.require_static = true;
  prepare.verbose = options.verbose;
  prepare_graph(*graph, prepare);
  rt::PlanOptions plan_options;
  plan_options.threads = options.threads > 0 ? options.threads : omp_get_num_procs();
  plan_options.verbose = options.verbose;
  CompiledModel compiled;
  compiled.plan_ = rt::Plan::compile(graph, plan_options);
  for (ir::ValueId v : graph->inputs) compiled.inputs_.push_back(info_of(graph->value(v)));
  for (ir::ValueId v : graph->outputs) compiled.outputs_.push_back(info_of(graph->value(v)));
  compiled.src_.resize(compiled.inputs_.size());
  compiled.dst_.resize(compiled.outputs_.size());
  return compiled;
}

namespace {

void check_input_count(const std::vector<ValueInfo>& want, size_t given) {
  if (given != want.size()) fail("the model takes ", want.size(), " inputs, ", given, " were given");
}

void check_input_shape(const ValueInfo& want, const Tensor& given) {
  if (given.shape != want.shape)
    fail("input '", want.name, "' has shape ", shape_str(given.shape), "; the model was compiled for ",
         shape_str(want.shape));
}

}  // namespace

std::vector<Tensor> CompiledModel::run(const std::vector<Tensor>& inputs) {
  check_input_count(inputs_, inputs.size());
  std::vector<Tensor> converted(inputs.size());
  for (size_t i = 0; i < inputs.size(); ++i) {
    const ValueInfo& want = inputs_[i];
    check_input_shape(want, inputs[i]);
    if (inputs[i].dtype != want.dtype) {
      const bool numeric = inputs[i].dtype != DType::kUndefined;
      if (!numeric) fail("input '", want.name, "' has no data type");
      converted[i] = convert_tensor(inputs[i], want.dtype);
      src_[i] = converted[i].bytes.data();
    } else {
      src_[i] = inputs[i].bytes.data();
    }
  }
  std::vector<Tensor> outputs;
  outputs.reserve(dst_.size());
  for (const rt::TensorDesc& d : plan_->output_descs()) outputs.emplace_back(d.dtype, d.shape);
  for (size_t i = 0; i < outputs.size(); ++i) dst_[i] = outputs[i].bytes.data();
  plan_->run(src_, dst_);
  return outputs;
}

void CompiledModel::run(const std::vector<Tensor>& inputs, std::vector<Tensor>& outputs) {
  check_input_count(inputs_, inputs.size());
  for (size_t i = 0; i < inputs.size(); ++i) {
    check_input_shape(inputs_[i], inputs[i]);
    if (inputs[i].dtype != inputs_[i].dtype)
      fail("input '", inputs_[i].name, "' is ", dtype_name(inputs[i].dtype), " but the model takes ",
           dtype_name(inputs_[i].dtype), "; this run converts nothing (run(inputs) does)");
    src_[i] = inputs[i].bytes.data();
  }
  const std::vector<rt::TensorDesc>& want = plan_->output_descs();
  if (outputs.size() != want.size())
    fail("the model has ", want.size(), " outputs, ", outputs.size(), " tensors were given to write them into");
  for (size_t i = 0; i < want.size(); ++i) {
    if (outputs[i].shape != want[i].shape || outputs[i].dtype != want[i].dtype)
      fail("output '", outputs_[i].name, "' is ", dtype_name(want[i].dtype), " ", shape_str(want[i].shape),
           "; the tensor given for it is ", dtype_name(outputs[i].dtype), " ", shape_str(outputs[i].shape));
    dst_[i] = outputs[i].bytes.data();
  }
  plan_->run(src_, dst_);
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

}  // namespace octet
