// The accuracy-aware report as JSON (--report) and as a terminal summary. The layer-by-layer
// part is DefaultQuantization's report of the final model, embedded as is.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <sstream>

#include "octet/accuracy_aware.hpp"

namespace octet {
namespace {

using ojson = nlohmann::ordered_json;

ojson measured(double x) { return x >= 0 && std::isfinite(x) ? ojson(x) : ojson(nullptr); }

std::string fixed(double x, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, x);
  return buf;
}

std::string percent(double x) { return fixed(100.0 * x, 2) + "%"; }

std::string ms(double x) { return x >= 0 ? fixed(x, 3) + " ms" : "-"; }

}  // namespace

std::string accuracy_aware_json(const AccuracyAwareReport& r) {
  ojson j;
  j["algorithm"] = "AccuracyAwareQuantization";
  j["metric"] = r.metric;
  j["drop_type"] = r.drop_type;
  j["max_drop"] = r.max_drop;
  j["allowed_drop"] = r.allowed_drop;
  j["bound_met"] = r.bound_met;
  j["stop_reason"] = r.stop_reason;
  j["samples"] = {{"eval", r.eval_samples}, {"ranking_subset", r.ranking_subset}, {"holdout", r.holdout_samples}};
  j["fp32"] = {{"metric", r.fp32_metric}, {"latency_ms", measured(r.fp32_latency_ms)},
               {"weight_bytes", r.fp32_weight_bytes}};
  j["default_int8"] = {{"metric", r.default_metric}, {"drop", r.default_drop},
                       {"latency_ms", measured(r.int8_latency_ms)}, {"weight_bytes", r.int8_weight_bytes}};
  j["result"] = {{"metric", r.final_metric}, {"drop", r.final_drop}, {"latency_ms", measured(r.final_latency_ms)},
                 {"weight_bytes", r.final_weight_bytes}, {"fp32_units", r.fp32_units}, {"tuned", r.tuned}};
  if (r.holdout_samples > 0)
    j["holdout"] = {{"fp32_metric", r.holdout_fp32_metric}, {"default_metric", r.holdout_default_metric},
                    {"final_metric", r.holdout_final_metric}, {"final_drop", r.holdout_final_drop},
                    {"bound_met", r.holdout_final_drop <= r.allowed_drop + 1e-12}};
  else
    j["holdout"] = nullptr;
  j["speed_source"] = r.speed_source;
  ojson steps = ojson::array();
  for (const AccuracyAwareStep& s : r.steps)
    steps.push_back({{"iteration", s.iteration}, {"action", s.action}, {"unit", s.unit}, {"detail", s.detail},
                     {"accepted", s.accepted}, {"metric", s.metric}, {"drop", s.drop},
                     {"latency_ms", measured(s.latency_ms)}, {"speed_cost", s.speed_cost},
                     {"ranking_gain", s.ranking_gain}, {"seconds", s.seconds}});
  j["steps"] = steps;
  ojson ranking = ojson::array();
  for (const UnitRanking& u : r.ranking)
    ranking.push_back({{"unit", u.unit}, {"kind", u.kind}, {"op", u.op}, {"recovered", u.recovered},
                       {"soft_gain", u.soft_gain}, {"speed_cost", u.speed_cost}, {"speed_gain_ms", u.speed_gain_ms},
                       {"macs", u.macs}, {"priority", u.priority}});
  j["ranking"] = ranking;
  j["evaluations"] = r.evaluations;
  j["ranking_evaluations"] = r.ranking_evaluations;
  j["default_seconds"] = r.default_seconds;
  j["search_seconds"] = r.search_seconds;
  j["notes"] = r.notes;
  j["quantization"] = ojson::parse(report_to_json(r.quantize));
  return j.dump(2) + "\n";
}

std::string accuracy_aware_table(const AccuracyAwareReport& r) {
  std::ostringstream os;
  os << "AccuracyAwareQuantization: " << r.metric << ", max drop " << r.max_drop << " (" << r.drop_type << ", "
     << percent(r.allowed_drop) << " allowed) on " << r.eval_samples << " samples\n";
  os << "  FP32              " << percent(r.fp32_metric) << "   " << ms(r.fp32_latency_ms) << "\n";
  os << "  DefaultQuant INT8 " << percent(r.default_metric) << "   " << ms(r.int8_latency_ms) << "   drop "
     << percent(r.default_drop) << "\n";
  if (!r.steps.empty()) {
    os << "  speed costs from " << r.speed_source << "\n";
    // Unit names whole, in a column as wide as the longest: a row can be pasted into --ignore.
    int unit_w = 32;
    for (const AccuracyAwareStep& s : r.steps) unit_w = std::max(unit_w, static_cast<int>(s.unit.size()));
    char line[1024];
    std::snprintf(line, sizeof line, "  iter  action      %-*s metric    drop     latency\n", unit_w, "unit");
    os << line;
    for (const AccuracyAwareStep& s : r.steps) {
      std::snprintf(line, sizeof line, "  %4zu  %-10s  ", s.iteration, s.action.c_str());
      os << line << s.unit << std::string(static_cast<size_t>(unit_w) - std::min(s.unit.size(), static_cast<size_t>(unit_w)), ' ');
      std::snprintf(line, sizeof line, " %-8s  %-7s  %s%s\n", percent(s.metric).c_str(), percent(s.drop).c_str(),
                    s.accepted ? ms(s.latency_ms).c_str() : "", s.accepted ? "" : "(undone)");
      os << line;
    }
  }
  os << "  result            " << percent(r.final_metric) << "   " << ms(r.final_latency_ms) << "   drop "
     << percent(r.final_drop) << ", " << r.fp32_units.size() << " unit(s) in FP32";
  if (!r.tuned.empty()) os << ", " << r.tuned.size() << " range(s) re-tuned";
  os << "\n";
  if (!r.fp32_units.empty()) {
    os << "  FP32 units:";
    for (const std::string& u : r.fp32_units) os << " " << u;
    os << "\n";
  }
  if (r.holdout_samples > 0)
    os << "  held out (" << r.holdout_samples << " samples): FP32 " << percent(r.holdout_fp32_metric) << ", default "
       << percent(r.holdout_default_metric) << ", result " << percent(r.holdout_final_metric) << " (drop "
       << percent(r.holdout_final_drop) << ")\n";
  os << "  " << (r.bound_met ? "bound met" : "BOUND NOT MET") << ": " << r.stop_reason << "; " << r.evaluations
     << " full and " << r.ranking_evaluations << " ranking evaluations, " << fixed(r.search_seconds, 1) << " s\n";
  return os.str();
}

}  // namespace octet
