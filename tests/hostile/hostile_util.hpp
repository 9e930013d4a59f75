// Helpers for the hostile-input tests: a ModelProto to damage by hand, saved to a scratch
// folder, and an expectation that loading or compiling fails with an octet::Error whose
// message names the offending thing. A missing check shows up loudly: the declared sizes are
// 10^12 elements, so a loader that trusted them would throw std::bad_alloc (not Error) or
// exhaust memory.
#pragma once
#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "fixtures/onnx_builder.hpp"
#include "octet/error.hpp"

namespace octet::testing {

constexpr int64_t kMillion = 1000000;  // [kMillion, kMillion] = 10^12 elements

inline void save_proto(const onnx::ModelProto& model, const std::string& path) {
  std::ofstream out(path, std::ios::binary);
  out << model.SerializeAsString();
}

// A model y = Relu(x), x float [1,3], for tests to add hostile parts to.
inline onnx::ModelProto relu_model() {
  return OnnxBuilder().input("x", {int64_t{1}, int64_t{3}}).node("Relu", {"x"}, {"y"}, "relu")
      .output("y", {int64_t{1}, int64_t{3}}).proto();
}

// relu_model() plus z = Add(y, w) with a float initializer "w" of `dims`, given no data: the
// tests fill in (or leave out) the data they are about through mutable_initializer(0).
inline onnx::ModelProto relu_add_initializer_model(const std::vector<int64_t>& dims) {
  onnx::ModelProto m = relu_model();
  auto* t = m.mutable_graph()->add_initializer();
  t->set_name("w");
  t->set_data_type(onnx::TensorProto::FLOAT);
  for (int64_t d : dims) t->add_dims(d);
  auto* add = m.mutable_graph()->add_node();
  add->set_op_type("Add");
  add->set_name("add_w");
  add->add_input("y");
  add->add_input("w");
  add->add_output("z");
  return m;
}

// Runs `f`, expecting an octet::Error whose message contains every piece; returns the message.
inline std::string expect_error(const std::function<void()>& f, const std::vector<std::string>& pieces) {
  try {
    f();
  } catch (const Error& e) {
    const std::string what = e.what();
    for (const std::string& p : pieces) EXPECT_NE(what.find(p), std::string::npos) << "missing '" << p << "' in: " << what;
    return what;
  } catch (const std::exception& e) {
    ADD_FAILURE() << "not an octet::Error: " << e.what();
    return e.what();
  }
  ADD_FAILURE() << "no error thrown";
  return "";
}

}  // namespace octet::testing
