// octet's public C++ API for loading, optimizing, compiling and running ONNX models.
//
//   octet::Model model = octet::Model::load("resnet18.onnx");
//   octet::CompileOptions options;
//   options.threads = 2;
//   octet::CompiledModel compiled = octet::CompiledModel::compile(model, options);
//   std::vector<octet::Tensor> outputs = compiled.run({input});
//
// No oneDNN or protobuf type appears here; the graph IR stays behind Model.
#pragma once
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "octet/error.hpp"
#include "octet/output.hpp"
#include "octet/tensor.hpp"

namespace octet {

namespace ir { struct Graph; }
namespace rt { class Plan; }

struct ValueInfo {
  std::string name;
  DType dtype = DType::kUndefined;
  Shape shape;                          // -1 for a dynamic or symbolic dim
  std::vector<std::string> dim_params;  // symbolic dim names ("" where none)
};

// A loaded model: the graph IR plus its weights. Cheap to copy (weights are shared).
class Model {
 public:
  // Reads an ONNX file (external data resolved next to it). Throws Error naming the file.
  static Model load(const std::string& path);
  // Writes standard ONNX; atomically (temporary file, then rename). Weights over 2 GB in all
  // go to an external data file beside it.
  void save(const std::string& path) const;
  // A serialized ONNX ModelProto in memory (`origin` names it in errors), and this model as
  // one (the same bytes save() writes, for models under 2 GB).
  static Model load_from_bytes(const std::string& bytes, const std::string& origin = "(bytes)");
  std::string to_bytes() const;

  std::vector<ValueInfo> inputs() const;
  std::vector<ValueInfo> outputs() const;
  const std::string& path() const;

  // The IR, for octet's own libraries (passes, quantization). Not a stable API.
  const ir::Graph& graph() const { return *graph_; }
  ir::Graph& mutable_graph();
  explicit Model(std::shared_ptr<ir::Graph> graph) : graph_(std::move(graph)) {}

 private:
  std::shared_ptr<ir::Graph> graph_;
};

struct CompileOptions {
  int threads = 0;                            // 0: every core
  std::map<std::string, Shape> input_shapes;  // fixes dynamic/symbolic input dims by name
  int64_t batch = 0;                          // > 0: dim 0 of every input with a dynamic dim 0
  bool optimize = true;                       // fuse ops (constants and shapes are folded always)
  bool verbose = false;                       // print passes and kernel choices to stderr
};

// Input shapes that make `sample` (tensors in the order of `inputs`) fit a compiled model:
// `fixed`, plus each input with an open dim that `fixed` does not name at its shape in the
// sample, its leading dim `batch` where that dim is open and batch > 0. A compiled plan has
// static shapes; the model itself keeps its open dims.
std::map<std::string, Shape> shapes_for_sample(const std::vector<ValueInfo>& inputs, const std::vector<Tensor>& sample,
                                               std::map<std::string, Shape> fixed = {}, int64_t batch = 0);

// Which kernel runs a node, for reports ("ran in INT8").
struct NodeKernel {
  std::string node;
  std::string op;
  std::string kernel;
  DType dtype = DType::kFloat32;  // dtype the kernel computes in (input 0)
  double ms = 0.0;                // last profiled run, when profiling is on
};

// A model compiled for fixed input shapes: kernels created and weights packed once, then
// run() many times. Not safe to run() from two threads at once (one activation arena);
// compile one per thread instead.
class CompiledModel {
 public:
  static CompiledModel compile(const Model& model, const CompileOptions& options = {});

  // Inputs in the order of inputs(); float32 data is converted if the model wants another
  // dtype. Throws naming the input if a shape or dtype does not fit.
  std::vector<Tensor> run(const std::vector<Tensor>& inputs);
  std::map<std::string, Tensor> run(const std::map<std::string, Tensor>& inputs);
  // The same into caller-owned outputs, with no allocation by octet: `outputs` holds one
  // tensor per model output at its shape and dtype (make them once from outputs():
  // Tensor(o.dtype, o.shape)), and the inputs already have the model's dtypes (nothing is
  // converted). For loops that run a model per request. (oneDNN 2.6 still allocates small
  // bookkeeping inside each primitive execute; octet's own kernels allocate nothing.) Throws
  // naming the input or output that does not fit.
  void run(const std::vector<Tensor>& inputs, std::vector<Tensor>& outputs);

  const std::vector<ValueInfo>& inputs() const { return inputs_; }
  const std::vector<ValueInfo>& outputs() const { return outputs_; }
  // The optimized graph the plan was compiled from.
  const ir::Graph& graph() const;
  std::vector<NodeKernel> kernels() const;
  void set_profiling(bool on);
  size_t arena_bytes() const;
  // Threads the plan runs on: the ones asked for, or 1 for a model whose every layer is too
  // small to be worth splitting (see src/runtime/plan.cpp).
  int threads() const;

 private:
  std::shared_ptr<rt::Plan> plan_;
  std::vector<ValueInfo> inputs_, outputs_;
  std::vector<const void*> src_;  // the plan's input and output pointers for both runs, sized
  std::vector<void*> dst_;        // at compile so that the caller-owned run allocates nothing
};

// Median wall time in ms of `runs` runs on `inputs`, after one warm-up run: the latency that
// octet's reports quote (octet bench prints the whole distribution).
double median_latency_ms(CompiledModel& model, const std::vector<Tensor>& inputs, int runs);

// The CPU octet's kernels run on, as oneDNN sees it: ONEDNN_MAX_CPU_ISA=AVX2 on an AVX-512
// machine gives "avx2" and no VNNI, which is what every INT8 decision must follow (a cpuid
// check would not see the limit). For reports that say what a measurement is valid for.
struct CpuInfo {
  std::string model;            // /proc/cpuinfo "model name" ("" when unknown)
  std::string isa;              // oneDNN's effective ISA: "avx2", "avx512_core_vnni", ...
  bool int8_vnni = false;       // INT8 products accumulate in 32 bits (VNNI, AMX)
  std::string describe() const; // "AMD EPYC 9454P, avx512_core_bf16 (VNNI)"
};
CpuInfo cpu_info();

}  // namespace octet
