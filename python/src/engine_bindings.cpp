// Model, CompiledModel and bench (octet/engine.hpp, octet/bench.hpp) for Python. Every call
// that computes releases the GIL, so other Python threads run meanwhile.
#include <pybind11/stl.h>

#include "arrays.hpp"
#include "bindings.hpp"
#include "octet/bench.hpp"
#include "octet/error.hpp"

namespace octet::py {
namespace {

pyb::list value_infos(const std::vector<ValueInfo>& infos) {
  pyb::list out;
  for (const ValueInfo& v : infos) {
    pyb::list shape;
    for (int64_t d : v.shape) shape.append(d < 0 ? pyb::object(pyb::none()) : pyb::object(pyb::int_(d)));
    out.append(pyb::make_tuple(v.name, numpy_dtype_name(v.dtype), shape, v.dim_params));
  }
  return out;
}

pyb::list run_positional(PyCompiled& c, const pyb::sequence& arrays) {
  const std::vector<ValueInfo>& wanted = c.model.inputs();
  if (arrays.size() != wanted.size())
    fail("the model takes ", wanted.size(), " input(s), got ", arrays.size());
  std::vector<Tensor> inputs;
  for (size_t i = 0; i < arrays.size(); ++i)
    inputs.push_back(tensor_from_array(arrays[i], cat("input '", wanted[i].name, "'")));
  std::vector<Tensor> outputs;
  {
    pyb::gil_scoped_release release;
    std::lock_guard<std::mutex> lock(*c.lock);
    outputs = c.model.run(inputs);
  }
  pyb::list out;
  for (Tensor& t : outputs) out.append(array_from_tensor(std::move(t)));
  return out;
}

pyb::dict run_named(PyCompiled& c, const pyb::dict& arrays) {
  std::map<std::string, Tensor> inputs;
  std::string names;
  for (const ValueInfo& v : c.model.inputs()) names += (names.empty() ? "" : ", ") + v.name;
  for (const auto& [key, value] : arrays) {
    const std::string name = pyb::str(key);
    bool known = false;
    for (const ValueInfo& v : c.model.inputs()) known = known || v.name == name;
    if (!known) fail("input '", name, "' is not one of the model's inputs (", names, ")");
    inputs[name] = tensor_from_array(value, cat("input '", name, "'"));
  }
  for (const ValueInfo& v : c.model.inputs())
    if (!inputs.count(v.name)) fail("input '", v.name, "' is missing (the model takes ", names, ")");
  std::map<std::string, Tensor> outputs;
  {
    pyb::gil_scoped_release release;
    std::lock_guard<std::mutex> lock(*c.lock);
    outputs = c.model.run(inputs);
  }
  pyb::dict out;
  for (auto& [name, t] : outputs) out[pyb::str(name)] = array_from_tensor(std::move(t));
  return out;
}

}  // namespace

PyCompiled compile_model(const Model& model, const CompileOptions& options) {
  pyb::gil_scoped_release release;
  const auto start = std::chrono::steady_clock::now();
  PyCompiled c{CompiledModel::compile(model, options)};
  c.compile_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  return c;
}

std::map<std::string, Shape> shapes_from_dict(const pyb::handle& shapes, const std::string& what) {
  std::map<std::string, Shape> out;
  if (shapes.is_none()) return out;
  if (!pyb::isinstance<pyb::dict>(shapes)) fail(what, " must be a dict of input name to shape");
  for (const auto& [key, value] : shapes.cast<pyb::dict>()) {
    const std::string name = pyb::str(key);
    try {
      out[name] = value.cast<Shape>();
    } catch (const pyb::cast_error&) {
      fail(what, "['", name, "'] must be a list of integers");
    }
  }
  return out;
}

void bind_engine(pyb::module_& m) {
  pyb::class_<Model>(m, "Model")
      .def_static("load", [](const std::string& path) {
        pyb::gil_scoped_release release;
        return Model::load(path);
      })
      .def_static("from_bytes", [](const pyb::bytes& bytes, const std::string& origin) {
        std::string data = bytes;
        pyb::gil_scoped_release release;
        return Model::load_from_bytes(data, origin);
      })
      .def("save", [](const Model& model, const std::string& path) {
        pyb::gil_scoped_release release;
        model.save(path);
      })
      .def("to_bytes", [](const Model& model) {
        std::string bytes;
        {
          pyb::gil_scoped_release release;
          bytes = model.to_bytes();
        }
        return pyb::bytes(bytes);
      })
      .def_property_readonly("inputs", [](const Model& model) { return value_infos(model.inputs()); })
      .def_property_readonly("outputs", [](const Model& model) { return value_infos(model.outputs()); })
      .def_property_readonly("path", &Model::path);

  pyb::class_<PyCompiled>(m, "CompiledModel")
      .def("run", &run_positional)
      .def("run_named", &run_named)
      .def("bench", [](PyCompiled& c, int iters, int warmup, uint32_t seed, bool per_node, const std::string& name) {
        BenchOptions options;
        options.iters = iters;
        options.warmup = warmup;
        options.seed = seed;
        options.per_node = per_node;
        pyb::gil_scoped_release release;
        std::lock_guard<std::mutex> lock(*c.lock);
        BenchResult r = bench(c.model, options);
        r.compile_ms = c.compile_ms;
        return bench_to_json(r, name);
      })
      .def_property_readonly("inputs", [](const PyCompiled& c) { return value_infos(c.model.inputs()); })
      .def_property_readonly("outputs", [](const PyCompiled& c) { return value_infos(c.model.outputs()); })
      .def_property_readonly("threads", [](const PyCompiled& c) { return c.model.threads(); })
      .def_property_readonly("compile_ms", [](const PyCompiled& c) { return c.compile_ms; })
      .def("kernels", [](const PyCompiled& c) {
        pyb::list out;
        for (const NodeKernel& k : c.model.kernels()) {
          pyb::dict d;
          d["node"] = k.node;
          d["op"] = k.op;
          d["kernel"] = k.kernel;
          d["dtype"] = dtype_name(k.dtype);
          out.append(d);
        }
        return out;
      });

  m.def("compile", [](const Model& model, int threads, const pyb::object& shapes, int64_t batch, bool optimize,
                      bool verbose) {
    CompileOptions options;
    if (threads < 0) fail("threads must be 0 (every core) or more, not ", threads);
    options.threads = threads;
    options.input_shapes = shapes_from_dict(shapes, "shapes");
    options.batch = batch;
    options.optimize = optimize;
    options.verbose = verbose;
    return compile_model(model, options);
  });
}

}  // namespace octet::py
