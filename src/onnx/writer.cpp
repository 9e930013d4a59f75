// IR -> ONNX ModelProto and the file on disk. Works on a copy of the graph (weights shared):
// internal ops are lowered, the opset raised if QDQ needs it, the graph compacted into
// topological order, then every live node, initializer, input, output and known value_info is
// written, subgraphs (If, Loop, Scan bodies) recursively with their captures as outer names.
// Weights go to "<model file name>.data" when they would exceed the threshold.
#include <onnx/onnx_pb.h>

#include <filesystem>

#include "octet/error.hpp"
#include "octet/output.hpp"
#include "onnx/loader.hpp"
#include "onnx/tensor_proto.hpp"
#include "onnx/writer.hpp"

namespace octet::onnx_io {
namespace {

constexpr int64_t kIrVersion = 8;
constexpr int64_t kExternalAlignment = 4096;

void set_type(const ir::Value& v, onnx::ValueInfoProto* info) {
  info->set_name(v.name);
  auto* tt = info->mutable_type()->mutable_tensor_type();
  tt->set_elem_type(dtype_to_onnx(v.dtype));
  if (!v.has_shape) return;
  auto* shape = tt->mutable_shape();
  for (size_t d = 0; d < v.shape.size(); ++d) {
    auto* dim = shape->add_dim();
    if (v.shape[d] >= 0) dim->set_dim_value(v.shape[d]);
    else if (d < v.dim_params.size() && !v.dim_params[d].empty()) dim->set_dim_param(v.dim_params[d]);
  }
}

void write_graph(const ir::Graph& g, size_t formal_inputs, onnx::GraphProto* gp, int64_t* weight_bytes);

// A subgraph as ONNX: its captured inputs are not inputs there but references to the outer
// values they stand for, so they take those values' names.
void write_subgraph(const ir::Graph& outer, const ir::Node& node, const ir::Graph& body, onnx::GraphProto* gp) {
  ir::Graph copy = body;
  const size_t formal = copy.inputs.size() - static_cast<size_t>(node.captures);
  for (size_t k = 0; k < static_cast<size_t>(node.captures); ++k) {
    const ir::ValueId outer_id = node.inputs[node.formal_inputs() + k];
    if (outer_id != ir::kNoValue) copy.value(copy.inputs[formal + k]).name = outer.value(outer_id).name;
  }
  int64_t ignored = 0;
  write_graph(copy, formal, gp, &ignored);
}

void set_attribute(const std::string& key, const ir::Attribute& a, onnx::AttributeProto* p) {
  using AP = onnx::AttributeProto;
  using K = ir::Attribute::Kind;
  p->set_name(key);
  switch (a.kind) {
    case K::kInt: p->set_type(AP::INT); p->set_i(a.i); break;
    case K::kFloat: p->set_type(AP::FLOAT); p->set_f(a.f); break;
    case K::kString: p->set_type(AP::STRING); p->set_s(a.s); break;
    case K::kInts: p->set_type(AP::INTS); for (int64_t v : a.ints) p->add_ints(v); break;
    case K::kFloats: p->set_type(AP::FLOATS); for (float v : a.floats) p->add_floats(v); break;
    case K::kStrings: p->set_type(AP::STRINGS); for (const auto& v : a.strings) p->add_strings(v); break;
    case K::kTensor: p->set_type(AP::TENSOR); tensor_to_proto(*a.tensor, "", p->mutable_t()); break;
    case K::kGraph: p->set_type(AP::GRAPH); break;  // the graph itself: add_node writes it
  }
}

void add_node(const ir::Graph& g, const ir::Node& node, onnx::GraphProto* gp) {
  auto* np = gp->add_node();
  np->set_name(node.name);
  np->set_op_type(ir::op_name(node.op));
  // Trailing omitted inputs and outputs are left out; inner ones are "".
  size_t n_in = node.formal_inputs(), n_out = node.outputs.size();
  while (n_in > 0 && node.inputs[n_in - 1] == ir::kNoValue) --n_in;
  while (n_out > 0 && node.outputs[n_out - 1] == ir::kNoValue) --n_out;
  for (size_t i = 0; i < n_in; ++i) np->add_input(node.inputs[i] == ir::kNoValue ? "" : g.value(node.inputs[i]).name);
  for (size_t i = 0; i < n_out; ++i)
    np->add_output(node.outputs[i] == ir::kNoValue ? "" : g.value(node.outputs[i]).name);
  for (const auto& [key, a] : node.attrs) {
    auto* p = np->add_attribute();
    set_attribute(key, a, p);
    if (a.kind == ir::Attribute::Kind::kGraph) write_subgraph(g, node, *a.graph, p->mutable_g());
  }
}

// Nodes, initializers, the first `formal_inputs` inputs, outputs and known value_info.
void write_graph(const ir::Graph& g, size_t formal_inputs, onnx::GraphProto* gp, int64_t* weight_bytes) {
  gp->set_name(g.name.empty() ? "octet" : g.name);
  for (const ir::Node& node : g.nodes)
    if (!node.dead) add_node(g, node, gp);
  std::vector<char> listed(g.values.size(), 0);
  for (size_t i = 0; i < g.inputs.size(); ++i) {
    if (i < formal_inputs) set_type(g.value(g.inputs[i]), gp->add_input());
    listed[static_cast<size_t>(g.inputs[i])] = 1;
  }
  for (ir::ValueId id : g.outputs) {
    set_type(g.value(id), gp->add_output());
    listed[static_cast<size_t>(id)] = 1;
  }
  for (size_t v = 0; v < g.values.size(); ++v) {
    const ir::Value& value = g.values[v];
    if (value.is_constant()) {
      tensor_to_proto(*value.data, value.name, gp->add_initializer());
      *weight_bytes += static_cast<int64_t>(value.data->bytes.size());
    } else if (!listed[v] && value.dtype != DType::kUndefined) {
      set_type(value, gp->add_value_info());
    }
  }
}

// Moves initializers of at least `min_bytes` into one blob with aligned offsets.
std::string externalize(onnx::GraphProto* gp, const std::string& location, int64_t min_bytes) {
  std::string blob;
  for (auto& init : *gp->mutable_initializer()) {
    if (static_cast<int64_t>(init.raw_data().size()) < min_bytes) continue;
    const size_t offset = (blob.size() + kExternalAlignment - 1) / kExternalAlignment * kExternalAlignment;
    blob.resize(offset, '\0');
    blob += init.raw_data();
    const size_t length = init.raw_data().size();
    init.clear_raw_data();
    init.set_data_location(onnx::TensorProto::EXTERNAL);
    auto add = [&](const std::string& k, const std::string& v) {
      auto* e = init.add_external_data();
      e->set_key(k);
      e->set_value(v);
    };
    add("location", location);
    add("offset", std::to_string(offset));
    add("length", std::to_string(length));
  }
  return blob;
}

// The graph as standard ONNX; `weight_bytes` gets the initializers' total size.
onnx::ModelProto to_model_proto(const ir::Graph& graph, int64_t& weight_bytes) {
  ir::Graph g = graph;  // tensors are shared; the structure is this copy's
  lower_internal_ops(g);
  upgrade_opset_for_qdq(g);
  g.compact();
  ir::verify(g);

  onnx::ModelProto model;
  model.set_ir_version(kIrVersion);
  model.set_producer_name("octet");
  model.set_producer_version("0.1.0");
  auto* opset = model.add_opset_import();
  opset->set_domain("");
  opset->set_version(g.opset);
  for (const auto& [key, value] : g.metadata) {
    auto* p = model.add_metadata_props();
    p->set_key(key);
    p->set_value(value);
  }
  auto* gp = model.mutable_graph();
  weight_bytes = 0;
  write_graph(g, g.inputs.size(), gp, &weight_bytes);

  return model;
}

}  // namespace

void save_model(const ir::Graph& graph, const std::string& path, const SaveOptions& options) {
  int64_t weight_bytes = 0;
  onnx::ModelProto model = to_model_proto(graph, weight_bytes);
  auto* gp = model.mutable_graph();
  const std::string location = std::filesystem::path(path).filename().string() + ".data";
  if (weight_bytes > options.external_threshold) {
    const std::string blob = externalize(gp, location, options.external_min_bytes);
    const std::string data_path = (std::filesystem::path(path).parent_path() / location).string();
    write_file_atomically(data_path, blob, graph.source_path);
  }
  std::string bytes;
  if (model.ByteSizeLong() > static_cast<size_t>(INT32_MAX) || !model.SerializeToString(&bytes))
    fail(path, ": the model does not fit in one protobuf (over 2 GB); lower the external data threshold");
  write_file_atomically(path, bytes, graph.source_path);
}

void save_model(const ir::Graph& graph, const std::string& path) { save_model(graph, path, SaveOptions{}); }

std::string serialize_model(const ir::Graph& graph) {
  int64_t weight_bytes = 0;
  const onnx::ModelProto model = to_model_proto(graph, weight_bytes);
  std::string bytes;
  if (model.ByteSizeLong() > static_cast<size_t>(INT32_MAX) || !model.SerializeToString(&bytes))
    fail("model '", graph.name, "' does not fit in one protobuf (over 2 GB); save it to a file instead");
  return bytes;
}

}  // namespace octet::onnx_io
