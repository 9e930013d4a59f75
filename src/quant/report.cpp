// The quantization report as JSON (--report FILE.json) and as a short table for stdout.
// SQNR that is infinite (identical outputs) or unmeasured (NaN) is written as null.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <sstream>

#include "octet/quantize.hpp"

namespace octet {
namespace {

nlohmann::json number_or_null(double x) { return std::isfinite(x) ? nlohmann::json(x) : nlohmann::json(nullptr); }
nlohmann::json measured(double x) { return x >= 0 ? nlohmann::json(x) : nlohmann::json(nullptr); }

// "12.3", "inf" (identical outputs), "-" (not measured).
std::string db(double x) {
  if (std::isnan(x)) return "-";
  if (std::isinf(x)) return "inf";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", x);
  return buf;
}

}  // namespace

void warn_if_int8_slower(QuantizeReport& r) {
  if (r.fp32_latency_ms <= 0 || r.int8_latency_ms <= 0 || r.int8_latency_ms <= 1.05 * r.fp32_latency_ms) return;
  char line[256];
  std::snprintf(line, sizeof line,
                "the INT8 model ran slower than FP32 here: %.3g ms against %.3g ms at batch 1 (%.2fx); the layers "
                "may be too small for INT8 kernels to pay off, or this CPU lacks VNNI (see octet bench --per-node)",
                r.int8_latency_ms, r.fp32_latency_ms, r.int8_latency_ms / r.fp32_latency_ms);
  r.warnings.push_back(line);
}

std::string report_to_json(const QuantizeReport& r) {
  nlohmann::ordered_json j;
  j["preset"] = r.preset;
  j["model_type"] = r.model_type;
  j["saturation_fix"] = r.saturation_fix;
  j["calibration_samples"] = r.calibration_samples;
  nlohmann::ordered_json shapes = nlohmann::ordered_json::object();
  for (const auto& [name, shape] : r.calibration_shapes) shapes[name] = shape;
  j["calibration_shapes"] = shapes;
  j["statistics_reused"] = r.statistics_reused;
  nlohmann::ordered_json model;
  model["metric"] = r.metric_name.empty() ? nlohmann::json(nullptr) : nlohmann::json(r.metric_name);
  model["fp32_metric"] = measured(r.fp32_metric);
  model["int8_metric"] = measured(r.int8_metric);
  model["fp32_file_bytes"] = measured(static_cast<double>(r.fp32_file_bytes));
  model["int8_file_bytes"] = measured(static_cast<double>(r.int8_file_bytes));
  model["size_ratio"] = r.fp32_file_bytes > 0 && r.int8_file_bytes > 0
                            ? nlohmann::json(static_cast<double>(r.int8_file_bytes) / static_cast<double>(r.fp32_file_bytes))
                            : nlohmann::json(nullptr);
  model["fp32_latency_ms"] = measured(r.fp32_latency_ms);
  model["int8_latency_ms"] = measured(r.int8_latency_ms);
  j["model"] = model;
  nlohmann::ordered_json stages = nlohmann::ordered_json::object();
  for (const auto& [stage, seconds] : r.stage_seconds) stages[stage] = seconds;
  j["stage_seconds"] = stages;
  nlohmann::ordered_json output;
  output["tensor"] = r.output_tensor.empty() ? nlohmann::json(nullptr) : nlohmann::json(r.output_tensor);
  output["sqnr_db"] = number_or_null(r.output_sqnr_db);
  output["agreement"] = number_or_null(r.output_agreement);
  output["samples"] = r.output_samples;
  j["output"] = output;
  j["warnings"] = r.warnings;
  nlohmann::ordered_json layers = nlohmann::ordered_json::array();
  for (const LayerQuantReport& l : r.layers) {
    nlohmann::ordered_json e;
    e["node"] = l.node;
    e["op"] = l.op;
    e["quantized"] = l.quantized;
    if (!l.quantized) {
      e["reason"] = l.reason;
    } else {
      e["input"] = l.input;
      e["range"] = {l.range_min, l.range_max};
      e["scale"] = l.scale;
      e["zero_point"] = l.zero_point;
      e["activation_dtype"] = l.activation_dtype;
      if (l.weight_channels > 0) {
        e["weight_channels"] = l.weight_channels;
        e["weight_scale_range"] = {l.weight_scale_min, l.weight_scale_max};
        e["narrowed_channels"] = l.narrowed_channels;
      }
      e["bias_corrected"] = l.bias_corrected;
      e["bias_shift_max"] = l.bias_shift_max;
      e["sqnr_db"] = number_or_null(l.sqnr_db);
    }
    layers.push_back(e);
  }
  j["layers"] = layers;
  nlohmann::ordered_json acts = nlohmann::ordered_json::array();
  for (const ActivationQuantReport& a : r.activations) {
    nlohmann::ordered_json e;
    e["tensor"] = a.tensor;
    e["range"] = {a.range_min, a.range_max};
    e["scale"] = a.scale;
    e["zero_point"] = a.zero_point;
    e["dtype"] = a.dtype;
    e["estimator"] = a.estimator;
    e["consumers"] = a.consumers;
    acts.push_back(e);
  }
  j["activations"] = acts;
  const PlacementReport& p = r.placement;
  nlohmann::ordered_json placement;
  placement["mode"] = p.mode;
  if (!p.units.empty()) {
    placement["cpu"] = p.cpu;
    placement["threads"] = p.threads;
    placement["fp32_ms"] = measured(p.fp32_ms);
    placement["all_int8_ms"] = measured(p.all_int8_ms);
    placement["chosen_ms"] = measured(p.chosen_ms);
    placement["rounds"] = p.rounds;
    nlohmann::ordered_json units = nlohmann::ordered_json::array();
    for (const PlacementUnitReport& u : p.units) {
      nlohmann::ordered_json e;
      e["node"] = u.node;
      e["op"] = u.op;
      e["int8"] = u.int8;
      e["fp32_ms"] = measured(u.fp32_ms);
      e["int8_ms"] = measured(u.int8_ms);
      if (!u.int8) e["reason"] = u.reason;
      units.push_back(e);
    }
    placement["units"] = units;
  }
  j["placement"] = placement;
  return j.dump(2) + "\n";
}

std::string report_table(const QuantizeReport& r, bool with_warnings) {
  std::ostringstream os;
  char line[512];
  // Names whole, in a column as wide as the longest: a row can be pasted into --ignore.
  int name_w = 5;
  for (const LayerQuantReport& l : r.layers) name_w = std::max(name_w, static_cast<int>(l.node.size()));
  std::snprintf(line, sizeof line, "%-*s %-15s %-6s %20s %10s %8s %s\n", name_w, "layer", "op", "int8", "input range",
                "scale", "SQNR dB", "note");
  os << line;
  int quantized = 0;
  for (const LayerQuantReport& l : r.layers) {
    os << l.node << std::string(static_cast<size_t>(name_w) - l.node.size(), ' ');
    if (l.quantized) {
      ++quantized;
      char range[64];
      std::snprintf(range, sizeof range, "[%.3g, %.3g]", l.range_min, l.range_max);
      std::string note = l.narrowed_channels > 0 ? std::to_string(l.narrowed_channels) + " ch 7-bit" : "";
      if (l.bias_corrected) note += std::string(note.empty() ? "" : ", ") + "bias corrected";
      std::snprintf(line, sizeof line, " %-15s %-6s %20s %10.3g %8s %s\n", l.op.c_str(), l.activation_dtype.c_str(),
                    range, l.scale, db(l.sqnr_db).c_str(), note.c_str());
    } else {
      std::snprintf(line, sizeof line, " %-15s %-6s %20s %10s %8s %s\n", l.op.c_str(), "fp32", "", "", "",
                    l.reason.c_str());
    }
    os << line;
  }
  os << quantized << " of " << r.layers.size() << " layers in INT8; preset " << r.preset << ", " << r.model_type
     << ", saturation fix " << r.saturation_fix << "\n";
  if (!r.calibration_shapes.empty()) {
    os << "calibrated at:";
    for (const auto& [name, shape] : r.calibration_shapes) os << " " << name << " " << shape_str(shape);
    os << " (dynamic dims stay dynamic in the model)\n";
  }
  if (!r.placement.units.empty()) {
    const PlacementReport& p = r.placement;
    const size_t int8_units = static_cast<size_t>(
        std::count_if(p.units.begin(), p.units.end(), [](const PlacementUnitReport& u) { return u.int8; }));
    std::snprintf(line, sizeof line,
                  "placement: measured on %s, %d thread%s: %zu of %zu units INT8; FP32 %.3f ms, all INT8 %.3f ms, "
                  "chosen %.3f ms (--placement all: every unit)\n",
                  p.cpu.c_str(), p.threads, p.threads == 1 ? "" : "s", int8_units, p.units.size(), p.fp32_ms,
                  p.all_int8_ms, p.chosen_ms);
    os << line;
    for (const PlacementUnitReport& u : p.units)  // layers show in the table; these are pools, Concat, Add
      if (!u.int8 && std::none_of(r.layers.begin(), r.layers.end(), [&](const LayerQuantReport& l) { return l.node == u.node; }))
        os << "  " << u.op << " '" << u.node << "' " << u.reason << "\n";
  }
  os << "calibration: " << r.calibration_samples << " sample" << (r.calibration_samples == 1 ? "" : "s")
     << " (default 300; --subset-size)" << (r.statistics_reused ? ", statistics reused" : "") << "\n";
  if (!r.output_tensor.empty()) {
    os << "output '" << r.output_tensor << "' vs FP32 on " << r.output_samples << " sample"
       << (r.output_samples == 1 ? "" : "s") << ": SQNR " << db(r.output_sqnr_db) << " dB";
    if (!std::isnan(r.output_agreement)) {
      std::snprintf(line, sizeof line, ", top-1 agreement %.1f%%", 100 * r.output_agreement);
      os << line;
    }
    os << "\n";
  }
  if (r.fp32_metric >= 0 && r.int8_metric >= 0) {
    std::snprintf(line, sizeof line, "%s: FP32 %.4f, INT8 %.4f (%+.4f)\n",
                  r.metric_name.empty() ? "metric" : r.metric_name.c_str(), r.fp32_metric, r.int8_metric,
                  r.int8_metric - r.fp32_metric);
    os << line;
  }
  if (r.fp32_file_bytes > 0 && r.int8_file_bytes > 0) {
    std::snprintf(line, sizeof line, "file size: FP32 %.2f MB, INT8 %.2f MB (%.3fx)\n", r.fp32_file_bytes / 1e6,
                  r.int8_file_bytes / 1e6, static_cast<double>(r.int8_file_bytes) / static_cast<double>(r.fp32_file_bytes));
    os << line;
  }
  double total = 0;
  for (const auto& [stage, s] : r.stage_seconds) total += s;
  std::snprintf(line, sizeof line, "time: %.1f s", total);
  os << line;
  for (const auto& [stage, s] : r.stage_seconds) {
    std::snprintf(line, sizeof line, "%s %s %.1f s", stage == r.stage_seconds.front().first ? " (" : ",", stage.c_str(), s);
    os << line;
  }
  os << (r.stage_seconds.empty() ? "\n" : ")\n");
  if (r.fp32_latency_ms > 0 && r.int8_latency_ms > 0) {
    std::snprintf(line, sizeof line, "latency (batch 1, median): FP32 %.3g ms, INT8 %.3g ms (speed-up %.2fx)\n", r.fp32_latency_ms,
                  r.int8_latency_ms, r.fp32_latency_ms / r.int8_latency_ms);
    os << line;
  }
  if (with_warnings)
    for (const std::string& w : r.warnings) os << "warning: " << w << "\n";
  else if (!r.warnings.empty())
    os << r.warnings.size() << " warning" << (r.warnings.size() == 1 ? "" : "s") << " (see above)\n";
  return os.str();
}

}  // namespace octet
