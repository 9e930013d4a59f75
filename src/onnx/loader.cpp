// ONNX ModelProto -> ir::Graph. Constant nodes become constant values; float16 becomes
// float32 everywhere (octet computes FP16 models in FP32, as POT accepts FP16 IRs). Subgraph
// attributes (If, Loop, Scan) are imported recursively; what they read from enclosing graphs
// becomes explicit captured inputs. Opsets before 7 are rewritten to their opset-7 forms.
#include "onnx/loader.hpp"

#include <onnx/onnx_pb.h>

#include <filesystem>
#include <fstream>
#include <algorithm>
#include <map>
#include <optional>
#include <sstream>

#include "core/file_type.hpp"
#include "octet/error.hpp"
#include "onnx/schema_check.hpp"
#include "onnx/tensor_proto.hpp"
#include "onnx/legacy_ops.hpp"

namespace octet::onnx_io {
namespace {

constexpr int64_t kMinOpset = 1;
constexpr int64_t kMaxOpset = 18;

bool is_default_domain(const std::string& d) { return d.empty() || d == "ai.onnx"; }

// float16 is computed as float32 in octet.
DType compute_dtype(DType d) { return d == DType::kFloat16 ? DType::kFloat32 : d; }

// Imports one GraphProto: the model's main graph, or (with a parent) a subgraph attribute,
// whose references to names of enclosing graphs become captured inputs (ir::Node::captures).
struct Importer {
  const onnx::GraphProto& proto;
  std::string origin;     // file path or description, for errors
  std::string model_dir;  // for external data
  Importer* parent = nullptr;  // the enclosing graph's importer, for a subgraph
  int64_t source_opset = 0;    // the file's opset; graph.opset is at least 7 (legacy_ops.hpp)
  ir::Graph graph;
  std::map<std::string, ir::ValueId> by_name;
  std::vector<std::string> captured;  // outer-scope names this graph reads, in first-use order

  ir::ValueId value_named(const std::string& name) {
    auto it = by_name.find(name);
    if (it != by_name.end()) return it->second;
    ir::Value v;
    v.name = name;
    const ir::ValueId id = graph.add_value(std::move(v));
    by_name[name] = id;
    return id;
  }

  // A graph input or output must hold a tensor of a type octet computes with: anything else
  // would surface later as a kernel that finds no input.
  void check_io_type(const onnx::ValueInfoProto& info, const char* role) {
    if (!info.has_type() || info.type().value_case() == onnx::TypeProto::VALUE_NOT_SET)
      fail(origin, ": graph ", role, " '", info.name(), "' has no type (ONNX requires one)");
    if (!info.type().has_tensor_type())
      fail(origin, ": graph ", role, " '", info.name(), "' is not a tensor: a sequence, map or optional value, which is not supported by octet");
    const int32_t elem = info.type().tensor_type().elem_type();
    if (dtype_from_onnx(elem) == DType::kUndefined)
      fail(origin, ": graph ", role, " '", info.name(), "' has element type ",
           onnx::TensorProto_DataType_IsValid(elem) ? onnx::TensorProto_DataType_Name(elem) : cat(elem),
           ", which is not supported by octet");
  }

  // The value `name` refers to here: one of this graph's, or an enclosing graph's value,
  // which becomes a captured input of this graph.
  std::optional<ir::ValueId> resolve(const std::string& name) {
    if (auto it = by_name.find(name); it != by_name.end()) return it->second;
    if (!parent || !parent->resolve(name)) return std::nullopt;
    captured.push_back(name);
    return value_named(name);
  }

  void apply_type(const onnx::ValueInfoProto& info) {
    if (!info.has_type() || !info.type().has_tensor_type()) return;
    const auto& tt = info.type().tensor_type();
    ir::Value& v = graph.value(value_named(info.name()));
    if (v.is_constant()) return;
    const DType d = dtype_from_onnx(tt.elem_type());
    if (d != DType::kUndefined) v.dtype = compute_dtype(d);
    if (!tt.has_shape()) return;
    v.has_shape = true;
    v.shape.clear();
    v.dim_params.clear();
    for (const auto& dim : tt.shape().dim()) {
      v.shape.push_back(dim.has_dim_value() && dim.dim_value() >= 0 ? dim.dim_value() : -1);
      v.dim_params.push_back(dim.has_dim_param() ? dim.dim_param() : "");
    }
  }

  ir::ValueId add_constant_value(const std::string& name, Tensor t) {
    const ir::ValueId id = value_named(name);
    ir::Value& v = graph.value(id);
    if (v.is_constant()) fail(origin, ": two initializers are named '", name, "'");
    if (t.dtype == DType::kFloat16) t = convert_tensor(t, DType::kFloat32);
    v.dtype = t.dtype;
    v.shape = t.shape;
    v.has_shape = true;
    v.dim_params.assign(t.shape.size(), "");
    v.data = std::make_shared<const Tensor>(std::move(t));
    return id;
  }

  ir::Attribute convert_attribute(const onnx::AttributeProto& a, const std::string& where) {
    using AP = onnx::AttributeProto;
    switch (a.type()) {
      case AP::INT: return ir::Attribute::make_int(a.i());
      case AP::FLOAT: return ir::Attribute::make_float(a.f());
      case AP::STRING: return ir::Attribute::make_string(a.s());
      case AP::INTS: return ir::Attribute::make_ints({a.ints().begin(), a.ints().end()});
      case AP::FLOATS: return ir::Attribute::make_floats({a.floats().begin(), a.floats().end()});
      case AP::STRINGS: {
        ir::Attribute r;
        r.kind = ir::Attribute::Kind::kStrings;
        r.strings.assign(a.strings().begin(), a.strings().end());
        return r;
      }
      case AP::TENSOR: {
        ir::Attribute r;
        r.kind = ir::Attribute::Kind::kTensor;
        Tensor t = tensor_from_proto(a.t(), model_dir, cat(where, " attribute '", a.name(), "'"));
        r.tensor = std::make_shared<const Tensor>(std::move(t));
        return r;
      }
      default: fail(where, ": attribute '", a.name(), "' has a type octet does not support (", a.type(), ")");
    }
  }

  // A Constant node's value as a tensor.
  // The attribute's declared type must be the one its name says: a value_floats typed INTS
  // would otherwise read as an empty tensor. (The schema check says the same for the opsets
  // libonnx describes; this holds for the others.)
  Tensor constant_node_value(const onnx::NodeProto& node, const std::string& where) {
    using AP = onnx::AttributeProto;
    static const std::map<std::string, AP::AttributeType> kTypes = {
        {"value", AP::TENSOR}, {"value_float", AP::FLOAT}, {"value_int", AP::INT},
        {"value_floats", AP::FLOATS}, {"value_ints", AP::INTS}};
    for (const auto& a : node.attribute()) {
      auto it = kTypes.find(a.name());
      if (it != kTypes.end() && a.type() != it->second)
        fail(where, ": attribute '", a.name(), "' has type ", AP::AttributeType_Name(a.type()), "; ONNX makes it ",
             AP::AttributeType_Name(it->second));
      if (a.name() == "value") return tensor_from_proto(a.t(), model_dir, where);
      if (a.name() == "value_float") return Tensor::from_vector<float>(DType::kFloat32, {}, {a.f()});
      if (a.name() == "value_int") return Tensor::from_vector<int64_t>(DType::kInt64, {}, {a.i()});
      if (a.name() == "value_floats")
        return Tensor::from_vector<float>(DType::kFloat32, {a.floats_size()}, {a.floats().begin(), a.floats().end()});
      if (a.name() == "value_ints")
        return Tensor::from_vector<int64_t>(DType::kInt64, {a.ints_size()}, {a.ints().begin(), a.ints().end()});
    }
    fail(where, ": Constant node without a supported value attribute (sparse and string values are not supported)");
  }

  // Imports the node's graph attributes and appends, as its captures, every outer name any of
  // them reads; each subgraph then lists all of those names as its last inputs.
  void add_subgraphs(const onnx::NodeProto& np, ir::Node& node, const std::string& where) {
    struct Body {
      std::string key;
      ir::Graph graph;
      size_t captured;  // its last inputs that are captures
    };
    std::vector<Body> bodies;
    std::vector<std::string> names;  // the union of the bodies' captures
    for (const auto& a : np.attribute()) {
      if (a.type() != onnx::AttributeProto::GRAPH) continue;
      Importer child{a.g(), cat("subgraph '", a.name(), "' of ", where), model_dir, this, source_opset, {}, {}, {}};
      child.graph.opset = graph.opset;
      child.run();
      for (const std::string& name : child.captured)
        if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
      bodies.push_back({a.name(), std::move(child.graph), child.captured.size()});
    }
    for (auto& [key, body, captured_count] : bodies) {
      // Reorder the body's captures into the node's order, adding those only another body reads.
      std::map<std::string, ir::ValueId> capture_ids;
      const size_t formal = body.inputs.size() - captured_count;
      for (size_t i = formal; i < body.inputs.size(); ++i) capture_ids[body.value(body.inputs[i]).name] = body.inputs[i];
      body.inputs.resize(formal);
      for (const std::string& name : names) {
        auto it = capture_ids.find(name);
        ir::Value v;
        v.name = name;
        body.inputs.push_back(it != capture_ids.end() ? it->second : body.add_value(std::move(v)));
      }
      ir::Attribute attr;
      attr.kind = ir::Attribute::Kind::kGraph;
      attr.graph = std::make_shared<const ir::Graph>(std::move(body));
      node.attrs[key] = std::move(attr);
    }
    for (const std::string& name : names) node.inputs.push_back(*resolve(name));
    node.captures = static_cast<int32_t>(names.size());
  }

  void run() {
    const auto& g = proto;
    graph.name = g.name();
    graph.source_path = origin;

    for (const auto& init : g.initializer())
      add_constant_value(init.name(), tensor_from_proto(init, model_dir, cat("initializer '", init.name(), "' in ", origin)));
    for (const auto& input : g.input()) {
      const ir::ValueId id = value_named(input.name());
      if (graph.value(id).is_constant()) continue;  // old exporters list initializers as inputs
      if (!parent) check_io_type(input, "input");  // a subgraph's may leave types to inference
      apply_type(input);
      graph.inputs.push_back(id);
    }
    // Every node output gets a value first, so nodes may appear in any order.
    for (const auto& node : g.node())
      for (const auto& out : node.output())
        if (!out.empty()) value_named(out);
    for (const auto& info : g.value_info())
      if (by_name.count(info.name())) apply_type(info);
    if (g.output_size() == 0) fail(origin, ": the graph has no outputs (ONNX requires at least one)");
    for (const auto& output : g.output()) {
      if (parent && !by_name.count(output.name())) continue;
      if (!parent && output.has_type() && output.type().has_tensor_type()) check_io_type(output, "output");
      apply_type(output);
    }

    // ONNX makes node names unique within a graph where they are given; a node without one
    // gets "Op_index", made unique against the names given.
    std::map<std::string, std::string> named;  // node name -> its op type
    for (const auto& np : g.node()) {
      if (np.name().empty()) continue;
      auto [it, fresh] = named.emplace(np.name(), np.op_type());
      if (!fresh)
        fail(np.op_type(), " node '", np.name(), "' in ", origin, ": the name is also given to a ", it->second,
             " node (ONNX requires node names to be unique in a graph)");
    }
    int index = 0;
    std::map<std::string, std::string> produced_by;  // output name -> the node writing it
    // Every unsupported node, not only the first: one run tells a user all that is missing.
    std::vector<std::string> unsupported;
    for (const auto& np : g.node()) {
      std::string name = np.name();
      for (int k = 0; name.empty() || (np.name().empty() && named.count(name)); ++k)
        name = cat(np.op_type(), "_", index, k ? cat("_", k) : "");
      if (np.name().empty()) named.emplace(name, np.op_type());
      ++index;
      const std::string where = cat(np.op_type(), " node '", name, "' in ", origin);
      if (!is_default_domain(np.domain())) {
        unsupported.push_back(cat(where, ": op domain '", np.domain(), "' is not supported (only the standard ONNX domain is)"));
        continue;
      }
      check_node_schema(np, source_opset, where);
      for (const auto& out : np.output()) {
        if (out.empty()) continue;
        auto [it, fresh] = produced_by.emplace(out, where);
        if (!fresh) fail(where, ": output '", out, "' is also produced by ", it->second);
      }
      if (np.op_type() == "Constant") {
        if (np.output_size() != 1) fail(where, ": a Constant has one output");
        const ir::ValueId id = by_name.at(np.output(0));
        if (graph.value(id).is_constant()) fail(where, ": output '", np.output(0), "' is also an initializer");
        add_constant_value(np.output(0), constant_node_value(np, where));
        continue;
      }
      const auto op = ir::onnx_op_from_name(np.op_type());
      if (!op) {
        unsupported.push_back(cat(where, ": op type '", np.op_type(), "' is not supported by octet"));
        continue;
      }
      ir::Node node;
      node.name = name;
      node.op = *op;
      for (const auto& in : np.input()) {
        if (in.empty()) { node.inputs.push_back(ir::kNoValue); continue; }
        const auto id = resolve(in);
        if (!id)
          fail(where, ": input '", in, "' is produced by no node and is neither a graph input nor an initializer");
        node.inputs.push_back(*id);
      }
      for (const auto& out : np.output()) node.outputs.push_back(out.empty() ? ir::kNoValue : by_name.at(out));
      for (const auto& a : np.attribute())
        if (a.type() != onnx::AttributeProto::GRAPH) node.attrs[a.name()] = convert_attribute(a, where);
      add_subgraphs(np, node, where);
      // Cast to float16 computes in float32 like the rest of the model.
      if (node.op == ir::OpKind::Cast && node.attr_int("to", 0) == onnx::TensorProto::FLOAT16)
        node.attrs["to"] = ir::Attribute::make_int(onnx::TensorProto::FLOAT);
      for (ir::ValueId out : node.outputs)
        if (out != ir::kNoValue && graph.value(out).is_constant())
          fail(where, ": output '", graph.value(out).name, "' is also an initializer");
      upgrade_legacy_node(graph, node, source_opset, where);
      graph.add_node(std::move(node));
    }
    if (!unsupported.empty()) {
      std::string all = unsupported[0];
      if (unsupported.size() > 1) {
        all += cat("; ", unsupported.size(), " unsupported nodes in all:");
        for (size_t i = 1; i < unsupported.size() && i < 50; ++i) all += "\n  " + unsupported[i];
        if (unsupported.size() > 50) all += "\n  ...";
      }
      fail(all);
    }
    for (const auto& output : g.output()) {
      const auto id = resolve(output.name());
      if (!id) fail(origin, ": graph output '", output.name(), "' is produced by no node");
      graph.outputs.push_back(*id);
    }
    // A subgraph's captures are inputs after its own ones, in first-use order.
    for (const std::string& name : captured) graph.inputs.push_back(by_name.at(name));
    // Drop the values that only value_info mentioned. Verify's messages name the graph; the
    // file is what a user can act on.
    try {
      ir::verify(graph);
      graph.compact();
    } catch (const Error& e) {
      fail(origin, ": ", e.what());
    }
  }
};

ir::Graph import_model(const onnx::ModelProto& model, const std::string& origin, const std::string& dir) {
  int64_t opset = -1;
  for (const auto& op : model.opset_import())
    if (is_default_domain(op.domain())) opset = op.version();
  if (opset < 0) opset = 1;
  if (opset < kMinOpset || opset > kMaxOpset)
    fail(origin, ": opset ", opset, " of the default domain is not supported (octet reads opsets ", kMinOpset,
         " to ", kMaxOpset, ")");
  Importer importer{model.graph(), origin, dir, nullptr, opset, {}, {}, {}};
  importer.graph.opset = std::max<int64_t>(opset, 7);
  for (const auto& p : model.metadata_props()) importer.graph.metadata[p.key()] = p.value();
  importer.run();
  return std::move(importer.graph);
}

}  // namespace

ir::Graph load_model_from_bytes(const std::string& bytes, const std::string& origin) {
  onnx::ModelProto model;
  if (bytes.empty()) fail(origin, ": file is empty");
  if (!model.ParseFromString(bytes)) fail(origin, ": not a valid ONNX model (protobuf parse failed; truncated or another format?)");
  if (!model.has_graph()) fail(origin, ": ONNX model has no graph");
  check_ir_version(model, origin);
  const std::string dir = std::filesystem::path(origin).parent_path().string();
  return import_model(model, origin, dir);
}

ir::Graph load_model(const std::string& path) {
  return load_model_from_bytes(read_regular_file(path), path);
}

}  // namespace octet::onnx_io
