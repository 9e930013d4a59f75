// The quantization config file, in the spirit of POT's: the model, the data, and a list of
// algorithms with their parameters. Strict: an unknown key or a value of the wrong type is an
// error naming the key's full path ("algorithms[0].params.preset"). Example:
//
//   {"model": "m.onnx", "output": "m_int8.onnx",
//    "data": {"source": "fashion-mnist:train", "labels": "fashion-mnist:train"},
//    "algorithms": [{"name": "DefaultQuantization",
//                    "params": {"preset": "mixed", "stat_subset_size": 300,
//                               "ignored": {"scope": ["head*"], "operations": [{"type": "MatMul"}]},
//                               "activations": {"range_estimator": {"preset": "quantile"}},
//                               "bias_correction": "full", "saturation_fix": "detect"}}]}
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "core/file_type.hpp"
#include "core/json_strict.hpp"
#include "octet/error.hpp"
#include "octet/quantize.hpp"

namespace octet {
namespace {

using json = nlohmann::json;

// What every object of one file shares: the file's name for messages, and the POT keys read
// but not used, each with the reason.
struct Context {
  std::string origin;
  std::vector<std::string> ignored;
};

// Walks one JSON object, checking each key's type and that no unknown key is left.
class Object {
 public:
  Object(const json& j, std::string path, Context& ctx) : j_(j), path_(std::move(path)), ctx_(ctx), origin_(ctx.origin) {
    if (!j.is_object()) fail(origin_, ": '", path_.empty() ? "(top level)" : path_, "' must be an object");
  }
  // A key POT's configs carry that has no meaning in octet: accepted, and listed with why.
  void ignore(const std::string& key, const std::string& why) {
    if (has(key)) ctx_.ignored.push_back(cat("'", where(key), "' ignored: ", why));
  }
  Context& ctx() { return ctx_; }
  ~Object() noexcept(false) {
    if (std::uncaught_exceptions() == 0) check_unknown();
  }
  // Fails naming the first key nothing asked for (a typo, usually).
  void check_unknown() const {
    for (const auto& [key, value] : j_.items())
      if (!seen_.count(key)) fail(origin_, ": unknown key '", excerpt(where(key)), "'");
  }
  bool has(const std::string& key) {
    seen_.insert(key);
    return j_.contains(key);
  }
  std::string where(const std::string& key) const { return path_.empty() ? key : path_ + "." + key; }
  const json& at(const std::string& key) { seen_.insert(key); return j_.at(key); }

  void string(const std::string& key, std::string& out) {
    if (!has(key)) return;
    if (!at(key).is_string()) type_error(key, "a string");
    out = at(key).get<std::string>();
  }
  template <class T>
  void integer(const std::string& key, T& out, int64_t lo, int64_t hi) {
    if (!has(key)) return;
    const json& v = at(key);
    if (!v.is_number_integer()) type_error(key, "an integer");
    const int64_t x = v.get<int64_t>();
    if (x < lo || x > hi) fail(origin_, ": '", where(key), "' is ", x, "; it must be in [", lo, ", ", hi, "]");
    out = static_cast<T>(x);
  }
  void number(const std::string& key, double& out) {
    if (!has(key)) return;
    if (!at(key).is_number()) type_error(key, "a number");
    out = at(key).get<double>();
  }
  void boolean(const std::string& key, bool& out) {
    if (!has(key)) return;
    if (!at(key).is_boolean()) type_error(key, "true or false");
    out = at(key).get<bool>();
  }
  template <class E>
  void choice(const std::string& key, E& out, const std::vector<std::pair<std::string, E>>& options) {
    if (!has(key)) return;
    if (!at(key).is_string()) type_error(key, "a string");
    const std::string s = at(key).get<std::string>();
    std::string names;
    for (const auto& [name, value] : options) {
      if (name == s) { out = value; return; }
      names += (names.empty() ? "" : ", ") + name;
    }
    fail(origin_, ": '", where(key), "' is '", excerpt(s), "'; it must be one of: ", names);
  }
  // A quantization enum by its plain name, through the one table (enum_names.cpp).
  template <class E>
  void named(const std::string& key, E& out, E (*parse)(const std::string&, const std::string&)) {
    if (!has(key)) return;
    if (!at(key).is_string()) type_error(key, "a string");
    out = parse(at(key).get<std::string>(), cat(origin_, ": '", where(key), "'"));
  }
  void strings(const std::string& key, std::vector<std::string>& out) {
    if (!has(key)) return;
    const json& v = at(key);
    if (!v.is_array()) type_error(key, "a list of strings");
    for (size_t i = 0; i < v.size(); ++i) {
      if (!v[i].is_string()) fail(origin_, ": '", where(key), "[", i, "]' must be a string");
      out.push_back(v[i].get<std::string>());
    }
  }
  [[noreturn]] void type_error(const std::string& key, const char* want) {
    fail(origin_, ": '", where(key), "' must be ", want, ", not ", at(key).type_name());
  }
  const std::string& origin() const { return origin_; }

 private:
  const json& j_;
  std::string path_;
  Context& ctx_;
  const std::string& origin_;
  std::set<std::string> seen_;
};

void read_bound(Object& parent, const std::string& key, BoundEstimator& b) {
  if (!parent.has(key)) return;
  Object o(parent.at(key), parent.where(key), parent.ctx());
  o.string("type", b.statistic);
  o.string("aggregator", b.aggregator);
  o.number("outlier_prob", b.outlier_prob);
  o.ignore("clipping_value", "octet clips to the estimated range only");
}

void read_range_estimator(Object& parent, RangeEstimatorOptions& r) {
  if (!parent.has("range_estimator")) return;
  Object o(parent.at("range_estimator"), parent.where("range_estimator"), parent.ctx());
  o.string("preset", r.method);
  o.integer("histogram_bins", r.histogram_bins, 64, 1 << 20);
  const bool bounds = o.has("min") || o.has("max");
  if (bounds) {
    if (r.method != "default" && r.method != "custom")
      fail(parent.origin(), ": '", o.where("min"), "'/'max' need preset \"custom\" (or none), not '", r.method, "'");
    r.method = "custom";
    r.min = {"min", "min", 1e-4};
    r.max = {"max", "mean", 1e-4};
    read_bound(o, "min", r.min);
    read_bound(o, "max", r.max);
  }
}

void read_ignored(Object& params, std::vector<std::string>& out) {
  if (!params.has("ignored")) return;
  const json& v = params.at("ignored");
  if (v.is_array()) {
    params.strings("ignored", out);
    return;
  }
  Object o(v, params.where("ignored"), params.ctx());
  o.strings("scope", out);
  if (o.has("operations")) {
    const json& ops = o.at("operations");
    if (!ops.is_array()) o.type_error("operations", "a list of {\"type\": OP}");
    for (size_t i = 0; i < ops.size(); ++i) {
      Object op(ops[i], cat(o.where("operations"), "[", i, "]"), params.ctx());
      std::string type;
      op.string("type", type);
      op.ignore("attributes", cat("octet matches operations by type alone, so every ", type, " node is kept FP32"));
      op.check_unknown();
      if (type.empty()) fail(params.origin(), ": '", op.where("type"), "' is required");
      out.push_back(type);
    }
  }
}

// POT's per-quantizer settings: octet's are fixed by the preset (8 bits, per-channel symmetric
// weights, per-tensor activations), so only 8 bits is accepted and the rest is noted.
void read_pot_quantizer_keys(Object& o) {
  int64_t bits = 8;
  o.integer("bits", bits, 1, 32);
  if (bits != 8) fail(o.origin(), ": '", o.where("bits"), "' is ", bits, "; octet quantizes to 8 bits only");
  o.ignore("mode", "the preset chooses symmetric or asymmetric (--preset)");
  o.ignore("granularity", "weights are per output channel, activations per tensor");
  o.ignore("level_low", "the levels follow from the preset");
  o.ignore("level_high", "the levels follow from the preset");
}

// The target device, in a params block or in "compression": octet runs on the CPU.
void check_target_device(Object& o) {
  std::string device;
  o.string("target_device", device);
  if (!device.empty() && device != "CPU" && device != "ANY")
    fail(o.origin(), ": '", o.where("target_device"), "' is '", device, "'; octet targets \"CPU\"");
}

void read_default_quantization(Object& params, QuantizeOptions& q) {
  check_target_device(params);
  params.ignore("shuffle_data", "octet always draws a seeded random subset (--seed)");
  params.ignore("seed", "the subset's seed is data.seed or --seed");
  params.ignore("stat_batch_size", "calibration runs one sample at a time");
  params.ignore("inplace_statistics", "octet streams its statistics anyway");
  params.ignore("use_layerwise_tuning", "octet has no layer-wise tuning");
  params.named("preset", q.preset, parse_preset);
  params.named("model_type", q.model_type, parse_model_type);
  params.integer("stat_subset_size", q.subset_size, 1, 1 << 30);
  read_ignored(params, q.ignored);
  if (params.has("activations")) {
    Object a(params.at("activations"), params.where("activations"), params.ctx());
    read_range_estimator(a, q.activations);
    read_pot_quantizer_keys(a);
  }
  if (params.has("weights")) {
    Object w(params.at("weights"), params.where("weights"), params.ctx());
    read_pot_quantizer_keys(w);
    if (w.has("range_estimator")) {
      Object r(w.at("range_estimator"), w.where("range_estimator"), params.ctx());
      r.choice("preset", q.weights.method, {{"max", std::string("max")}, {"mse", std::string("mse")}});
    }
  }
  if (params.has("use_fast_bias")) {  // POT's switch between fast and full correction
    bool fast = true;
    params.boolean("use_fast_bias", fast);
    q.bias_correction = fast ? BiasCorrection::kFast : BiasCorrection::kFull;
  }
  params.named("bias_correction", q.bias_correction, parse_bias_correction);
  params.number("bias_correction_threshold", q.bias_correction_threshold);
  params.integer("full_bias_correction_subset", q.full_bias_correction_subset, 1, 1 << 30);
  params.named("saturation_fix", q.saturation_fix, parse_saturation_fix);
  params.named("placement", q.placement, parse_placement);
  params.integer("report_subset_size", q.report_subset_size, 0, 1 << 30);
}

// AccuracyAwareQuantization's own params (POT's names), beside DefaultQuantization's.
void read_accuracy_aware(Object& params, AccuracyControlOptions& a) {
  params.ignore("base_algorithm", "the search always starts from DefaultQuantization");
  params.ignore("metric_subset_ratio", "the ranking uses ranking_subset_size samples");
  params.ignore("convert_to_mixed_preset", "octet keeps the preset; try --preset mixed yourself");
  params.ignore("annotation_free", "octet's metrics are top1 (labels) or agreement with FP32");
  params.ignore("metrics", "the metric is 'metric' (top1 or agreement)");
  params.number("maximal_drop", a.max_drop);
  params.named("drop_type", a.relative, parse_drop_type);
  params.choice("metric", a.metric, {{"top1", std::string("top1")}, {"agreement", std::string("agreement")}});
  params.integer("ranking_subset_size", a.ranking_subset_size, 1, 1 << 30);
  params.integer("max_iter_num", a.max_iters, 0, 1 << 30);
  params.boolean("tune_hyperparams", a.tune_hyperparams);
  params.boolean("use_prev_if_drop_increase", a.use_prev_if_drop_increase);
  params.boolean("requantize", a.requantize);
  params.choice("speed", a.speed, {{"auto", std::string("auto")}, {"profile", std::string("profile")},
                                   {"macs", std::string("macs")}});
  params.integer("eval_batch", a.eval_batch, 1, 4096);
}

void read_algorithms(Object& parent, QuantizeConfig& config) {
  if (!parent.has("algorithms")) return;
  const json& list = parent.at("algorithms");
  if (!list.is_array()) parent.type_error("algorithms", "a list of {\"name\": ..., \"params\": {...}}");
  // One run is one algorithm: a second entry would silently override the first's settings.
  if (list.size() > 1)
    fail(parent.origin(), ": '", parent.where("algorithms"), "' has ", list.size(),
         " entries; octet runs one algorithm per config (DefaultQuantization or AccuracyAwareQuantization)");
  for (size_t i = 0; i < list.size(); ++i) {
    Object algo(list[i], cat(parent.where("algorithms"), "[", i, "]"), parent.ctx());
    std::string name;
    algo.string("name", name);
    if (name != "DefaultQuantization" && name != "AccuracyAwareQuantization")
      fail(parent.origin(), ": '", algo.where("name"), "' is '", excerpt(name),
           "'; octet knows \"DefaultQuantization\" and \"AccuracyAwareQuantization\"");
    config.algorithm = name;
    if (algo.has("params")) {
      Object params(algo.at("params"), algo.where("params"), parent.ctx());
      read_default_quantization(params, config.options);
      if (name == "AccuracyAwareQuantization") read_accuracy_aware(params, config.accuracy);
    }
  }
}

void read_data(Object& top, QuantizeConfig& config) {
  if (!top.has("data")) return;
  const json& d = top.at("data");
  if (!d.is_object()) top.type_error("data", "an object");
  // The data settings are the CLI's --data flags; it checks their names and values.
  for (const auto& [key, value] : d.items()) {
    if (value.is_string()) config.data[key] = value.get<std::string>();
    else if (value.is_number() || value.is_boolean() || value.is_object() || value.is_array()) config.data[key] = value.dump();
    else fail(top.origin(), ": 'data.", excerpt(key), "' must be a string, number, list or object");
  }
}

// POT's "engine": how it ran the model and where its data was. octet runs the model itself;
// a simplified engine's data_source is octet's data.source.
void read_engine(Object& top, QuantizeConfig& config) {
  Object e(top.at("engine"), "engine", top.ctx());
  std::string source;
  e.string("data_source", source);
  if (!source.empty() && !config.data.count("source")) config.data["source"] = source;
  e.ignore("type", "octet runs the model with its own engine");
  e.ignore("config", "an Accuracy Checker file; give octet --labels or --eval-data instead");
  e.ignore("device", "octet runs on the CPU");
  e.ignore("stat_requests_number", "octet sizes its own workers (--threads)");
  e.ignore("eval_requests_number", "octet sizes its own workers (--threads)");
  e.ignore("models", "an Accuracy Checker section; give octet --labels or --eval-data instead");
  e.ignore("datasets", "an Accuracy Checker section; give octet --labels or --eval-data instead");
}

}  // namespace

QuantizeConfig parse_quantize_config(const std::string& text, const std::string& origin) {
  const json j = parse_json_strict(text, origin);
  QuantizeConfig config;
  Context ctx{origin, {}};
  Object top(j, "", ctx);
  if (top.has("model")) {
    if (top.at("model").is_string()) {
      config.model = top.at("model").get<std::string>();
    } else {
      Object m(top.at("model"), "model", ctx);
      std::string name;
      m.string("model_name", name);
      m.string("model", config.model);
      m.ignore("weights", "an ONNX file carries its weights (this is OpenVINO IR's .bin)");
    }
  }
  top.string("output", config.output);
  top.string("stats", config.options.stats_path);
  read_data(top, config);
  if (top.has("input_shapes")) {
    const json& s = top.at("input_shapes");
    if (!s.is_object()) top.type_error("input_shapes", "an object of name: [dims]");
    for (const auto& [name, dims] : s.items()) {
      Shape shape;
      if (!dims.is_array()) fail(origin, ": 'input_shapes.", name, "' must be a list of positive integers");
      for (const json& d : dims) {
        if (!d.is_number_integer() || d.get<int64_t>() <= 0)
          fail(origin, ": 'input_shapes.", name, "' must be a list of positive integers");
        shape.push_back(d.get<int64_t>());
      }
      config.options.input_shapes[name] = shape;
    }
  }
  read_algorithms(top, config);
  if (top.has("compression")) {  // POT's nesting: {"compression": {"algorithms": [...]}}
    Object c(top.at("compression"), "compression", ctx);
    check_target_device(c);
    c.choice("model_type", config.options.model_type,
             {{"auto", ModelType::kAuto}, {"cnn", ModelType::kCnn}, {"transformer", ModelType::kTransformer}});
    c.ignore("dump_intermediate_model", "octet writes only the result (--stats keeps the statistics)");
    read_algorithms(c, config);
  }
  if (top.has("engine")) read_engine(top, config);
  config.ignored = ctx.ignored;
  return config;
}

QuantizeConfig read_quantize_config(const std::string& path) {
  QuantizeConfig config = parse_quantize_config(read_regular_file(path), path);
  // Paths in the file are relative to the file's folder, wherever octet is started from.
  config.base_dir = std::filesystem::path(path).parent_path().string();
  if (config.base_dir.empty()) config.base_dir = ".";
  for (std::string* p : {&config.model, &config.output, &config.options.stats_path})
    if (!p->empty() && std::filesystem::path(*p).is_relative()) *p = (std::filesystem::path(config.base_dir) / *p).string();
  return config;
}

}  // namespace octet
