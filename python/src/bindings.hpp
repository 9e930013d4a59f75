// The parts of the _octet extension module, each binding one public header; module.cpp calls
// them in order. The pure-Python package (python/octet/) builds the user-facing API on top.
#pragma once
#include <pybind11/pybind11.h>

#include <chrono>
#include <mutex>

#include "octet/engine.hpp"

namespace octet::py {

namespace pyb = pybind11;

// A compiled model as Python holds it: runs are serialized (one activation arena per plan,
// and the GIL is released while it runs, so two Python threads could otherwise enter it).
struct PyCompiled {
  CompiledModel model;
  double compile_ms = -1;
  std::unique_ptr<std::mutex> lock = std::make_unique<std::mutex>();
};

// Compiles with the GIL released; times it for bench().
PyCompiled compile_model(const Model& model, const CompileOptions& options);

// Python values that mean shapes: {"x": [1, 3, 224, 224]} -> CompileOptions::input_shapes.
std::map<std::string, Shape> shapes_from_dict(const pyb::handle& shapes, const std::string& what);

void bind_engine(pyb::module_& m);
void bind_data(pyb::module_& m);
void bind_quantize(pyb::module_& m);

}  // namespace octet::py
