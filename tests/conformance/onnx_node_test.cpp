// ONNX backend node tests (libonnx-testdata): every folder's model through octet's loader,
// compiler and runtime, outputs compared with ONNX's defaults (rtol 1e-3, atol 1e-7, NaN
// equal to NaN, dtype and shape exact). A model the loader rejects as "not supported" is
// counted unsupported; any other failure fails the test unless excluded.txt lists it with
// a reason. Runs twice: unoptimized, then through the FP32 passes.
#include <fnmatch.h>
#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "octet/engine.hpp"
#include "onnx/tensor_proto.hpp"

namespace fs = std::filesystem;

namespace {

const char* kNodeDir = "/usr/share/libonnx-testdata/data/node";

// excluded.txt: `test_name [unoptimized|optimized]  # why` per line; the name may be a glob
// (fnmatch); the mode word limits the exclusion to one of the two runs.
struct Exclusion {
  std::string pattern, mode, why;
};

std::vector<Exclusion> read_excluded() {
  std::vector<Exclusion> r;
  std::ifstream in(std::string(OCTET_SOURCE_DIR) + "/tests/conformance/excluded.txt");
  std::string line;
  while (std::getline(in, line)) {
    const size_t hash = line.find('#');
    std::istringstream words(line.substr(0, hash));
    Exclusion e;
    if (!(words >> e.pattern)) continue;
    words >> e.mode;
    e.why = hash == std::string::npos ? "" : line.substr(hash + 1);
    r.push_back(e);
  }
  return r;
}

bool is_excluded(const std::vector<Exclusion>& list, const std::string& name, bool optimize) {
  for (const Exclusion& e : list)
    if (fnmatch(e.pattern.c_str(), name.c_str(), 0) == 0 &&
        (e.mode.empty() || e.mode == (optimize ? "optimized" : "unoptimized")))
      return true;
  return false;
}

octet::Tensor read_tensor(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  onnx::TensorProto proto;
  if (!in || !proto.ParseFromIstream(&in)) octet::fail(path.string(), ": cannot parse TensorProto");
  return octet::onnx_io::tensor_from_proto(proto, path.parent_path().string(), path.string());
}

// Files named prefix_N.pb in N order.
std::vector<fs::path> numbered(const fs::path& dir, const std::string& prefix) {
  std::vector<std::pair<int, fs::path>> found;
  for (const auto& e : fs::directory_iterator(dir)) {
    const std::string name = e.path().filename().string();
    if (name.rfind(prefix, 0) == 0 && e.path().extension() == ".pb")
      found.emplace_back(std::stoi(name.substr(prefix.size())), e.path());
  }
  std::sort(found.begin(), found.end());
  std::vector<fs::path> r;
  for (auto& [i, p] : found) r.push_back(p);
  return r;
}

double element(const octet::Tensor& t, int64_t i) {
  using octet::DType;
  const uint8_t* p = t.bytes.data();
  switch (t.dtype) {
    case DType::kFloat32: return reinterpret_cast<const float*>(p)[i];
    case DType::kFloat64: return reinterpret_cast<const double*>(p)[i];
    case DType::kFloat16: return octet::half_to_float(reinterpret_cast<const uint16_t*>(p)[i]);
    case DType::kInt8: return reinterpret_cast<const int8_t*>(p)[i];
    case DType::kUInt8: case DType::kBool: return p[i];
    case DType::kInt16: return reinterpret_cast<const int16_t*>(p)[i];
    case DType::kUInt16: return reinterpret_cast<const uint16_t*>(p)[i];
    case DType::kInt32: return reinterpret_cast<const int32_t*>(p)[i];
    case DType::kInt64: return static_cast<double>(reinterpret_cast<const int64_t*>(p)[i]);
    default: return 0;
  }
}

// "" when `got` matches `want`, else what differs.
std::string compare(const octet::Tensor& got, octet::Tensor want) {
  using octet::DType;
  // octet runs float16 models in float32: compare float16 expectations after converting.
  if (want.dtype == DType::kFloat16 && got.dtype == DType::kFloat32) want = octet::convert_tensor(want, DType::kFloat32);
  if (got.dtype != want.dtype)
    return octet::cat("dtype ", octet::dtype_name(got.dtype), ", expected ", octet::dtype_name(want.dtype));
  if (got.shape != want.shape)
    return octet::cat("shape ", octet::shape_str(got.shape), ", expected ", octet::shape_str(want.shape));
  const bool is_float = want.dtype == DType::kFloat32 || want.dtype == DType::kFloat64;
  int64_t bad = 0, first = -1;
  for (int64_t i = 0; i < want.numel(); ++i) {
    const double g = element(got, i), w = element(want, i);
    bool ok;
    if (!is_float) ok = want.dtype == DType::kInt64
                            ? reinterpret_cast<const int64_t*>(got.bytes.data())[i] ==
                                  reinterpret_cast<const int64_t*>(want.bytes.data())[i]
                            : g == w;
    else if (std::isnan(w)) ok = std::isnan(g);
    else if (std::isinf(w)) ok = g == w;
    else ok = std::fabs(g - w) <= 1e-7 + 1e-3 * std::fabs(w);
    if (!ok && bad++ == 0) first = i;
  }
  if (bad == 0) return "";
  return octet::cat(bad, " of ", want.numel(), " elements differ; first at ", first, ": got ", element(got, first),
                    ", expected ", element(want, first));
}

struct Outcome {
  enum Kind { kPassed, kFailed, kUnsupported } kind = kPassed;
  std::string message;
};

Outcome run_case(const fs::path& dir, bool optimize) {
  octet::Model model = [&]() -> octet::Model {
    try {
      return octet::Model::load((dir / "model.onnx").string());
    } catch (const octet::Error& e) {
      const std::string what = e.what();
      if (what.find("not supported") != std::string::npos) throw Outcome{Outcome::kUnsupported, what};
      throw Outcome{Outcome::kFailed, octet::cat("load: ", what)};
    }
  }();
  octet::CompileOptions options;
  options.threads = 1;
  options.optimize = optimize;
  octet::CompiledModel compiled = octet::CompiledModel::compile(model, options);
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (!entry.is_directory() || entry.path().filename().string().rfind("test_data_set_", 0) != 0) continue;
    std::vector<octet::Tensor> inputs;
    for (const fs::path& p : numbered(entry.path(), "input_")) inputs.push_back(read_tensor(p));
    // Match inputs by position: the node tests list them in the model's input order.
    if (inputs.size() != compiled.inputs().size())
      return {Outcome::kFailed, octet::cat("the model has ", compiled.inputs().size(), " inputs, the data set ",
                                           inputs.size())};
    std::vector<octet::Tensor> outputs = compiled.run(inputs);
    const std::vector<fs::path> expected = numbered(entry.path(), "output_");
    if (expected.size() != outputs.size())
      return {Outcome::kFailed, octet::cat(outputs.size(), " outputs, expected ", expected.size())};
    for (size_t i = 0; i < outputs.size(); ++i) {
      const std::string diff = compare(outputs[i], read_tensor(expected[i]));
      if (!diff.empty())
        return {Outcome::kFailed, octet::cat(entry.path().filename().string(), " output ", i, " '",
                                             compiled.outputs()[i].name, "': ", diff)};
    }
  }
  return {};
}

// The op (or domain / opset) a "not supported" message names.
std::string unsupported_reason(const std::string& message) {
  static const std::regex op_re("op type '([^']+)'"), domain_re("op domain '([^']+)'"), opset_re("(opset \\d+)");
  std::smatch m;
  if (std::regex_search(message, m, op_re)) return m[1];
  if (std::regex_search(message, m, domain_re)) return octet::cat("domain ", m[1]);
  if (std::regex_search(message, m, opset_re)) return m[1];
  return message;
}

void run_suite(bool optimize) {
  if (!fs::is_directory(kNodeDir)) GTEST_SKIP() << kNodeDir << " is missing (apt-get install libonnx-testdata)";
  const auto excluded = read_excluded();
  std::vector<fs::path> dirs;
  for (const auto& e : fs::directory_iterator(kNodeDir))
    if (e.is_directory()) dirs.push_back(e.path());
  std::sort(dirs.begin(), dirs.end());
  int passed = 0, failed = 0, unsupported = 0, excluded_count = 0;
  std::map<std::string, int> unsupported_ops;
  std::vector<std::string> failures, excluded_passing;
  for (const fs::path& dir : dirs) {
    const std::string name = dir.filename().string();
    Outcome outcome;
    try {
      outcome = run_case(dir, optimize);
    } catch (const Outcome& o) {
      outcome = o;
    } catch (const std::exception& e) {
      outcome = {Outcome::kFailed, e.what()};
    }
    const bool excluded_here = is_excluded(excluded, name, optimize);
    switch (outcome.kind) {
      case Outcome::kPassed:
        ++passed;
        if (excluded_here) excluded_passing.push_back(name);
        break;
      case Outcome::kUnsupported:
        ++unsupported;
        unsupported_ops[unsupported_reason(outcome.message)]++;
        break;
      case Outcome::kFailed:
        if (excluded_here) { ++excluded_count; break; }
        ++failed;
        failures.push_back(name + ": " + outcome.message);
        break;
    }
  }
  std::cout << "ONNX node tests (" << (optimize ? "optimized" : "unoptimized") << "): " << passed << " passed, "
            << failed << " failed, " << unsupported << " unsupported, " << excluded_count << " excluded\n";
  std::cout << "unsupported (tests):";
  for (const auto& [op, n] : unsupported_ops) std::cout << " " << op << " (" << n << ")";
  std::cout << "\n";
  for (const std::string& name : excluded_passing)
    std::cout << "note: " << name << " passes but is in excluded.txt; remove it\n";
  for (const std::string& f : failures) std::cout << "FAILED " << f << "\n";
  EXPECT_EQ(failed, 0) << "node tests of supported ops failed (listed above)";
}

TEST(OnnxNodeTests, Unoptimized) { run_suite(false); }
TEST(OnnxNodeTests, Optimized) { run_suite(true); }

}  // namespace
