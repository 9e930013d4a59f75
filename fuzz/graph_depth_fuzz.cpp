// Fuzz target: graph shape. The input is a small program that builds an ONNX model as deep
// or as wide as it likes (up to kMaxNodes): a body of ops repeated many times, each op either
// extending the current chain, joining it with a value from far back (long-lived tensors,
// fan-in), or starting a new branch from the input (fan-out, dead branches). The model goes
// the whole way: loader, verify, shape inference, passes, planning, run; its output must equal
// the program interpreted directly. A crash, a stack overflow, a hang (libFuzzer's -timeout
// catches super-linear steps) or a wrong number is a finding.
//
//   byte 0      tensor width - 1 (mod 16)
//   bytes 1-2   how many times the body repeats (little endian), capped by kMaxNodes
//   bytes 3...  the body, one op per byte (at most 64): low 3 bits the op, high 5 bits how
//               far back the second operand of a binary op is
#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "fuzz/fuzz_target.hpp"
#include "octet/engine.hpp"
#include "onnx/loader.hpp"
#include "tests/fixtures/onnx_builder.hpp"

namespace {

constexpr int kMaxNodes = 20000;  // under ASan and coverage, about a second per input
constexpr size_t kMaxBody = 64;

enum Op : uint8_t { kRelu, kIdentity, kNeg, kAbs, kMax, kMin, kMean, kRestart };

int node_count(uint8_t op) { return op == kRestart ? 0 : op == kMean ? 2 : 1; }

// The value `far` back from the newest, by the operand's 5 bits: near ones often, then
// squares (up to ~1000 back) so that some tensors live across most of the graph.
size_t back(size_t newest, uint8_t bits) {
  const size_t far = bits == 31 ? newest : static_cast<size_t>(bits) * bits;
  return newest > far ? newest - far : 0;
}

}  // namespace

OCTET_FUZZ_TARGET(graph_depth) {
  if (size < 4) return 0;
  const int64_t width = 1 + data[0] % 16;
  const std::vector<uint8_t> body(data + 3, data + 3 + std::min(size - 3, kMaxBody));
  int per_body = 0;
  for (uint8_t b : body) per_body += node_count(b & 7);
  const int wanted = 1 + (data[1] | (data[2] << 8));
  const int repeat = per_body == 0 ? 1 : std::min(wanted, std::max(1, kMaxNodes / per_body));

  // Build the model and interpret it at once: vals[i] is value i's name and its elements.
  octet::testing::OnnxBuilder b;
  b.input("x", {int64_t{1}, width}).initializer("half", {}, {0.5f});
  std::vector<std::string> names = {"x"};
  std::vector<std::vector<float>> vals(1, std::vector<float>(static_cast<size_t>(width)));
  for (int64_t i = 0; i < width; ++i) vals[0][static_cast<size_t>(i)] = static_cast<float>(i % 5) - 2.25f;
  size_t prev = 0;
  int made = 0;
  auto add = [&](const std::string& op, std::vector<size_t> ins, std::vector<float> result) {
    std::vector<std::string> in_names;
    for (size_t i : ins) in_names.push_back(names[i]);
    if (op == "MulHalf") in_names.push_back("half");
    names.push_back("v" + std::to_string(names.size()));
    b.node(op == "MulHalf" ? "Mul" : op, in_names, {names.back()}, "n" + std::to_string(made++));
    vals.push_back(std::move(result));
    prev = names.size() - 1;
  };
  for (int r = 0; r < repeat; ++r) {
    for (uint8_t byte : body) {
      const uint8_t op = byte & 7;
      if (op == kRestart) { prev = 0; continue; }
      const size_t other = back(prev, byte >> 3);
      std::vector<float> a = vals[prev], c = vals[other];
      std::vector<float> out(a.size());
      for (size_t i = 0; i < a.size(); ++i) {
        switch (op) {
          case kRelu: out[i] = std::max(a[i], 0.0f); break;
          case kIdentity: out[i] = a[i]; break;
          case kNeg: out[i] = -a[i]; break;
          case kAbs: out[i] = std::fabs(a[i]); break;
          case kMax: out[i] = std::max(a[i], c[i]); break;
          case kMin: out[i] = std::min(a[i], c[i]); break;
          case kMean: out[i] = a[i] + c[i]; break;
        }
      }
      static const char* const kNames[] = {"Relu", "Identity", "Neg", "Abs", "Max", "Min", "Add"};
      const bool binary = op == kMax || op == kMin || op == kMean;
      add(kNames[op], binary ? std::vector<size_t>{prev, other} : std::vector<size_t>{prev}, out);
      if (op == kMean) {
        for (float& v : out) v *= 0.5f;
        add("MulHalf", {prev}, out);
      }
    }
  }
  b.output(names[prev], {int64_t{1}, width});
  const std::vector<float>& expected = vals[prev];

  return run_refusing([&] {
    const Model model(std::make_shared<ir::Graph>(onnx_io::load_model_from_bytes(b.bytes(), "graph_depth.onnx")));
    CompileOptions options;
    options.threads = 1;
    CompiledModel compiled = CompiledModel::compile(model, options);
    const Tensor x = Tensor::from_vector<float>(DType::kFloat32, {1, width}, vals[0]);
    const std::vector<Tensor> out = compiled.run({x});
    if (out.size() != 1 || out[0].numel() != width) throw std::logic_error("graph_depth: wrong output shape");
    for (int64_t i = 0; i < width; ++i)
      if (out[0].data<float>()[i] != expected[static_cast<size_t>(i)])
        throw std::logic_error("graph_depth: output " + std::to_string(i) + " is " + std::to_string(out[0].data<float>()[i]) +
                               ", the program gives " + std::to_string(expected[static_cast<size_t>(i)]));
  });
}
