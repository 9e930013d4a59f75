// octet's post-training quantization API: an FP32 model plus a few hundred calibration samples
// in, a standard QDQ ONNX model (INT8 weights, Q/DQ pairs on activations) and a report out.
//
//   octet::QuantizeOptions options;              // POT-like defaults: performance preset,
//   octet::SampleSource calib = ...;             // 300 samples, fast bias correction
//   octet::QuantizeResult r = octet::quantize(model, calib, options);
//   r.model.save("model_int8.onnx");
//
// Plain structs only: no nlohmann, oneDNN or protobuf type appears here.
#pragma once
#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "octet/engine.hpp"
#include "octet/tensor.hpp"

namespace octet {

// Where calibration samples come from: sample i is the model's inputs for one example, batch 1,
// in the model's input order. Streamed: quantize() asks for one sample at a time.
struct SampleSource {
  size_t count = 0;
  std::function<std::vector<Tensor>(size_t index)> get;
};

enum class QuantPreset : uint8_t {
  kPerformance,  // symmetric weights and activations (int8; uint8 with zero point 0 where >= 0)
  kMixed,        // symmetric weights, asymmetric uint8 activations
};

enum class ModelType : uint8_t {
  kAuto,         // transformer rules when the graph has attention (Softmax feeding a MatMul)
  kCnn,
  kTransformer,  // the residual stream stays FP32 (LayerNorm, Softmax and attention products do in every mode)
};

enum class BiasCorrection : uint8_t { kNone, kFast, kFull };

// Where INT8 goes. kAll: every unit the rules allow is INT8 (deterministic). kMeasured: every
// quantizable unit is timed in INT8 and FP32 on this machine (its Q/DQ conversions included)
// and kept FP32 where INT8 does not pay; the model is not slower than FP32 on the CPU it was
// quantized on, but which units stay INT8 depends on that CPU and on timing noise near the
// threshold. kAll stays the default until the tests that assert exact layer sets opt into it.
enum class Placement : uint8_t { kMeasured, kAll };

// POT's saturation_fix for CPUs without VNNI, where u8 x s8 products are summed in pairs into
// int16. kAuto: none on a host with AVX-VNNI/AVX512-VNNI, else kDetect. kDetect: 7-bit weights
// (levels -63..63) only in the output channels whose pair sums can exceed 32767 given the
// calibrated per-channel activation ranges.
enum class SaturationFix : uint8_t { kAuto, kDetect, kNo, kFirstLayer, kAll };

// One bound of a range: a statistic of each sample, then an aggregator over the samples
// (NNCF's range_estimator). Statistics: "min", "max", "abs_max", "quantile", "abs_quantile".
// Aggregators: "min", "max", "mean", "median", "mean_no_outliers", "median_no_outliers".
struct BoundEstimator {
  std::string statistic;
  std::string aggregator;
  double outlier_prob = 1e-4;  // tail probability for the quantile statistics and *_no_outliers
};

struct RangeEstimatorOptions {
  // "default" (the preset's: min of per-sample minima, mean of per-sample maxima or absolute
  // maxima), "min_max" (global extremes), "mean_min_max", "quantile", "mse" (minimum expected
  // quantization error over a histogram), "kl" (TensorRT-style entropy), or "custom" (min/max
  // below).
  std::string method = "default";
  BoundEstimator min, max;  // used by "custom"
  int histogram_bins = 2048;
};

struct WeightRangeOptions {
  std::string method = "max";  // per output channel: "max" (absolute maximum) or "mse"
};

struct QuantizeOptions {
  QuantPreset preset = QuantPreset::kPerformance;
  ModelType model_type = ModelType::kAuto;
  size_t subset_size = 300;                    // calibration samples used (first N of the source)
  std::vector<std::string> ignored;            // node names, glob patterns ('*', '?') or op types
  RangeEstimatorOptions activations;
  WeightRangeOptions weights;
  BiasCorrection bias_correction = BiasCorrection::kFast;
  double bias_correction_threshold = 2.0;      // fast: skip a layer whose shift >= threshold * |bias|
  size_t full_bias_correction_subset = 100;    // full: samples run through the quantized model
  SaturationFix saturation_fix = SaturationFix::kAuto;
  Placement placement = Placement::kAll;
  std::string stats_path;                      // reuse if it matches the model, else write it
  std::map<std::string, Shape> input_shapes;   // fixes dynamic input dims (default: batch 1)
  size_t report_subset_size = 32;              // samples for the per-layer and output SQNR; 0: skip
  double min_output_sqnr_db = 10.0;            // warn when the output SQNR on those samples is lower
  int threads = 0;                             // 0: every core
  bool progress = false;                       // progress bar on stderr
  bool verbose = false;
};

// One quantizable layer (Conv, ConvTranspose, MatMul, Gemm and octet's fused forms).
struct LayerQuantReport {
  std::string node;            // node name in the optimized graph
  std::string op;              // op type there (FusedConv, FullyConnected, MatMul, ...)
  bool quantized = false;
  std::string reason;          // why not quantized; empty when quantized
  std::string input;           // activation tensor quantized for it (first one)
  float range_min = 0, range_max = 0;  // calibrated range of that input
  float scale = 0;                     // its scale
  int32_t zero_point = 0;
  std::string activation_dtype;        // "int8" or "uint8"
  float weight_scale_min = 0, weight_scale_max = 0;
  int64_t weight_channels = 0;
  int64_t narrowed_channels = 0;       // output channels given 7-bit weights (saturation fix)
  bool bias_corrected = false;
  float bias_shift_max = 0;            // largest |shift| applied to a bias channel
  double sqnr_db = 0;                  // output SQNR, FP32 model vs QDQ model (NaN: not measured)
};

// One Q/DQ pair on an activation tensor.
struct ActivationQuantReport {
  std::string tensor;
  float range_min = 0, range_max = 0;
  float scale = 0;
  int32_t zero_point = 0;
  std::string dtype;            // "int8" / "uint8"
  std::string estimator;        // how the range was chosen ("default", "mse", "unified: concat", ...)
  std::vector<std::string> consumers;
};

// One unit latency-aware placement timed: a layer, or the pool/Concat/Add whose quantizers
// let it run in INT8. Times are medians of batch-1 profiled runs on this machine.
struct PlacementUnitReport {
  std::string node;
  std::string op;
  double fp32_ms = -1;  // its node in the FP32 plan (-1: fused into another, not comparable)
  double int8_ms = -1;  // its node plus its share of conversions, in the round that decided it
  bool int8 = true;     // kept INT8
  std::string reason;   // why it went back to FP32
};

struct PlacementReport {
  std::string mode;                 // "measured" or "all"
  std::string cpu;                  // what it was measured for (CpuInfo::describe())
  int threads = 0;
  double fp32_ms = -1;              // the FP32 plan (sum of step medians)
  double all_int8_ms = -1;          // every unit INT8
  double chosen_ms = -1;            // the placement returned
  int rounds = 0;
  std::vector<PlacementUnitReport> units;
};

struct QuantizeReport {
  std::string preset;
  std::string model_type;       // as applied ("cnn" / "transformer")
  std::string saturation_fix;   // as applied, with the reason
  size_t calibration_samples = 0;
  // The input shapes calibration ran at, from the first sample: the model's dynamic dims stay
  // dynamic in the QDQ model, so this is where the statistics came from, not a limit.
  std::vector<std::pair<std::string, Shape>> calibration_shapes;
  bool statistics_reused = false;
  std::vector<LayerQuantReport> layers;
  std::vector<ActivationQuantReport> activations;
  PlacementReport placement;    // empty units when placement was "all"
  // End to end on the report samples, FP32 against the QDQ model (NaN: not measured): a
  // collapsed quantization shows here even when every layer is INT8.
  std::string output_tensor;          // the first float output of the model
  double output_sqnr_db = std::numeric_limits<double>::quiet_NaN();
  double output_agreement = std::numeric_limits<double>::quiet_NaN();  // top-1; NaN: no class axis
  size_t output_samples = 0;
  std::vector<std::string> warnings;  // e.g. ignored-scope entries that matched nothing
  std::vector<std::pair<std::string, double>> stage_seconds;  // in the order they ran
  // Filled by the caller when it evaluates (the CLI with --labels); NaN when not measured.
  std::string metric_name;
  double fp32_metric = -1, int8_metric = -1;
  int64_t fp32_file_bytes = -1, int8_file_bytes = -1;
  double fp32_latency_ms = -1, int8_latency_ms = -1;
};

struct QuantizeResult {
  Model model;           // the QDQ model (octet's optimized graph plus Q/DQ; save() lowers it)
  QuantizeReport report;
};

QuantizeResult quantize(const Model& model, const SampleSource& samples, const QuantizeOptions& options = {});

// AccuracyAwareQuantization's search settings (POT's names in comments); the search itself is
// declared in octet/accuracy_aware.hpp.
struct AccuracyControlOptions {
  double max_drop = 0.01;               // maximal_drop: a fraction of the metric (0.01 = 1 point)
  bool relative = false;                // drop_type "relative": max_drop times the FP32 metric
  std::string metric;                   // "top1" (labels) or "agreement"; "": top1 when labelled
  size_t ranking_subset_size = 300;     // samples that degraded most, used to rank layers
  size_t max_iters = 0;                 // max_iter_num; 0: until nothing is left to revert
  bool tune_hyperparams = true;         // try other range estimators before reverting a layer
  bool use_prev_if_drop_increase = true;  // undo a step that does not improve the metric
  bool requantize = true;               // once the bound holds, give reverted layers back INT8 where it still holds
  std::string speed = "auto";           // speed gain per layer: "profile", "macs" or "auto"
  int eval_batch = 32;                  // batch size the evaluation runs at
};

// Reads a JSON configuration file (POT style: model, data, algorithms with params) into
// options and the data settings the CLI needs. Unknown keys and wrong types are errors naming
// the key; keys of POT's layout that octet has no use for (engine.type, model.weights, ...) are
// accepted and listed in `ignored` with the reason. read_quantize_config resolves the file's
// paths (model, output, stats) from its folder; data specs are the caller's to resolve from
// base_dir (resolve_dataset_spec in octet/data.hpp).
struct QuantizeConfig {
  QuantizeOptions options;
  std::string model;                   // "model" path, if given
  std::string output;                  // "output" path, if given
  std::map<std::string, std::string> data;  // "data" settings, as strings (source, labels, ...)
  std::string algorithm = "DefaultQuantization";  // or "AccuracyAwareQuantization"
  AccuracyControlOptions accuracy;     // its params, when it is AccuracyAwareQuantization
  std::string base_dir;                // the config file's folder ("" for parse_quantize_config)
  std::vector<std::string> ignored;    // "'engine.type' ignored: why", one per POT key left unused
};
QuantizeConfig read_quantize_config(const std::string& path);
QuantizeConfig parse_quantize_config(const std::string& json_text, const std::string& origin);

// The report as JSON text, and as a short table for a terminal.
std::string report_to_json(const QuantizeReport& report);
// with_warnings = false: the CLI prints them once, on stderr, and the table only counts them.
std::string report_table(const QuantizeReport& report, bool with_warnings = true);

// Adds a warning when the INT8 latency in the report is above FP32's by more than 5% (the
// margin keeps run-to-run noise out); nothing when either was not measured.
void warn_if_int8_slower(QuantizeReport& report);

// The enums' plain names, one table each (src/quant/enum_names.cpp): the CLI flags, the config
// file and the Python API parse through these. parse_* fails naming `what` (a flag, a config key,
// an argument) and listing the accepted names.
QuantPreset parse_preset(const std::string& name, const std::string& what);
ModelType parse_model_type(const std::string& name, const std::string& what);
BiasCorrection parse_bias_correction(const std::string& name, const std::string& what);
SaturationFix parse_saturation_fix(const std::string& name, const std::string& what);
Placement parse_placement(const std::string& name, const std::string& what);
const char* preset_name(QuantPreset preset);
const char* model_type_name(ModelType type);
const char* bias_correction_name(BiasCorrection mode);
const char* saturation_fix_name(SaturationFix fix);
const char* placement_name(Placement placement);
std::vector<std::string> preset_names();
std::vector<std::string> model_type_names();
std::vector<std::string> bias_correction_names();
std::vector<std::string> saturation_fix_names();
std::vector<std::string> placement_names();
// AccuracyControlOptions::relative: "absolute" (false) or "relative" (true).
bool parse_drop_type(const std::string& name, const std::string& what);
const char* drop_type_name(bool relative);

// Checks one sample (the model's inputs, batch 1) against the model's inputs before minutes of
// calibration: the count, the rank and every dim but the batch (open dims and inputs fixed in
// `fixed_shapes` accept any size). Fails naming `source` (the dataset) or `sample` and `model_name`.
void check_sample_fits(const std::vector<Tensor>& inputs, const Model& model,
                       const std::map<std::string, Shape>& fixed_shapes, const std::string& source,
                       const std::string& sample, const std::string& model_name);

}  // namespace octet
