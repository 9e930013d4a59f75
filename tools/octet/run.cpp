// octet run MODEL --input NAME=FILE.npy ... --output-dir DIR: one inference on .npy files.
// The exchange format with other tools (ONNX Runtime in tests/interop, numpy in scripts):
// shapes come from the .npy files where the model leaves dims open, outputs become .npy files
// named after the outputs with unsafe characters replaced (see safe_file_name).
#include <filesystem>
#include <iostream>
#include <map>
#include <set>

#include "data/npy.hpp"
#include "ir/graph.hpp"
#include "octet/engine.hpp"
#include "tools/octet/commands.hpp"

namespace octet::cli {
namespace {

const char* kHelp = R"(usage: octet run MODEL --input NAME=FILE.npy ... --output-dir DIR
                 [--threads N] [--shape NAME=D0,D1,...] [--verbose]

Runs the model once on the given .npy inputs and writes each output to DIR/<output>.npy
(DIR is created if missing). Output names are made safe as file names: every character
other than A-Z a-z 0-9 . _ - becomes '_' (so "/head/Gemm_output_0" is written as
"_head_Gemm_output_0.npy"), a leading '.' gets a '_' in front, and two outputs that would
share a file get "_2", "_3"... appended; each file written is listed on stdout.

Where the model leaves a dim open (batch, sequence length) the shape is taken from the
.npy file; --shape fixes it explicitly instead. Inputs of another numeric dtype than the
model's are converted (e.g. float64 .npy for a float32 input).

  --input NAME=FILE   one per model input
  --output-dir DIR    where the outputs go
  --threads N         worker threads (default 0: all cores)
  --shape NAME=DIMS   compile for this input shape instead of the .npy file's
  --verbose           print passes and kernel choices to stderr
)";

// Keeps [A-Za-z0-9._-]; anything else (path separators, ':', spaces, non-ASCII bytes) -> '_'.
std::string safe_file_name(const std::string& name) {
  std::string s;
  for (unsigned char c : name) s += (std::isalnum(c) || c == '.' || c == '_' || c == '-') ? static_cast<char>(c) : '_';
  if (s.empty() || s[0] == '.') s = "_" + s;
  return s;
}

// Checks a .npy shape against the model's declared input shape (-1 = open dim).
void check_shape(const ValueInfo& info, const Shape& got, const std::string& file) {
  bool fits = got.size() == info.shape.size();
  for (size_t d = 0; fits && d < got.size(); ++d) fits = info.shape[d] < 0 || info.shape[d] == got[d];
  if (!fits)
    fail("input '", info.name, "' from ", file, " has shape ", shape_str(got), "; the model wants ", shape_str(info.shape),
         " (?: any size)");
}

int run(const Args& args) {
  const std::string model_path = args.positional(0, "MODEL");
  if (args.positionals().size() > 1) fail("unexpected argument '", args.positionals()[1], "' (inputs go in --input NAME=FILE.npy)");
  const std::string out_dir = args.get("--output-dir");
  if (out_dir.empty()) fail("missing --output-dir DIR");
  Model model = Model::load(model_path);

  std::map<std::string, ValueInfo> declared;
  std::string input_list;
  for (const ValueInfo& v : model.inputs()) {
    declared[v.name] = v;
    input_list += (input_list.empty() ? "" : ", ") + v.name;
  }
  std::map<std::string, Tensor> inputs;
  std::map<std::string, std::string> files;
  for (const std::string& spec : args.get_all("--input")) {
    const auto eq = spec.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == spec.size()) fail("--input wants NAME=FILE.npy, got '", spec, "'");
    const std::string name = spec.substr(0, eq), file = spec.substr(eq + 1);
    if (!declared.count(name)) {
      // ONNX lets an initializer also be listed as an input (a default value); octet takes
      // such a tensor as a constant, so say that rather than that the name is unknown.
      for (const ir::Value& v : model.graph().values)
        if (v.name == name && v.is_constant())
          fail(model_path, ": '", name, "' is an initializer that the model also lists as an input (a default value);"
               " octet runs it as a constant and does not take it as an input (its inputs: ", input_list, ")");
      fail(model_path, " has no input named '", name, "' (its inputs: ", input_list, ")");
    }
    if (inputs.count(name)) fail("input '", name, "' given twice");
    inputs[name] = data::read_npy(file);
    files[name] = file;
  }

  CompileOptions options;
  options.threads = parse_threads(args);
  options.verbose = args.has("--verbose");
  for (const std::string& text : args.get_all("--shape")) {
    auto [name, shape] = parse_shape_flag(text);
    if (!declared.count(name)) fail("--shape ", text, ": ", model_path, " has no input named '", name, "'");
    options.input_shapes[name] = shape;
  }
  for (const auto& [name, info] : declared) {
    auto it = inputs.find(name);
    if (it == inputs.end()) fail("input '", name, "' was not given (--input ", name, "=FILE.npy)");
    const Shape& got = it->second.shape;
    if (auto s = options.input_shapes.find(name); s != options.input_shapes.end()) {
      if (s->second != got) fail("input '", name, "' from ", files[name], " has shape ", shape_str(got), "; --shape says ", shape_str(s->second));
      continue;
    }
    check_shape(info, got, files[name]);
    options.input_shapes[name] = got;
  }

  CompiledModel compiled = CompiledModel::compile(model, options);
  std::map<std::string, Tensor> outputs = compiled.run(inputs);

  std::error_code ec;
  std::filesystem::create_directories(out_dir, ec);
  if (ec || !std::filesystem::is_directory(out_dir, ec)) fail("--output-dir ", out_dir, ": cannot create the folder");
  // Every output path is known, and checked against the inputs, before the first is written.
  std::set<std::string> used;
  std::vector<std::pair<std::string, std::string>> targets;  // output name, file
  NamedPaths sources = {{"MODEL", model_path}};
  for (const auto& [name, file] : files) sources.emplace_back("--input " + name, file);
  for (const ValueInfo& info : compiled.outputs()) {
    const std::string base = safe_file_name(info.name);
    std::string file = base;
    for (int n = 2; used.count(file); ++n) file = cat(base, "_", n);
    used.insert(file);
    targets.emplace_back(info.name, (std::filesystem::path(out_dir) / (file + ".npy")).string());
    check_output_paths({{"output '" + info.name + "'", targets.back().second}}, sources);
  }
  OutputTransaction written;  // every .npy, or none: a failed run leaves the folder as it was
  for (const auto& [name, path] : targets) data::write_npy(path, outputs.at(name));
  written.commit();
  for (const auto& [name, path] : targets) {
    const Tensor& t = outputs.at(name);
    std::cout << name << " -> " << path << "  " << dtype_name(t.dtype) << " " << shape_str(t.shape) << "\n";
  }
  return 0;
}

}  // namespace

Command run_command() {
  return {"run", "run a model once on .npy inputs, writing .npy outputs", kHelp,
          {"--input", "--output-dir", "--threads", "--shape"}, {"--verbose"}, run};
}

}  // namespace octet::cli
