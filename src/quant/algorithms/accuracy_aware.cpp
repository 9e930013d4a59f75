// AccuracyAwareQuantization (POT's algorithm, NNCF's quantize_with_accuracy_control), built on
// DefaultQuantization's kept state:
//
//   default INT8 -> evaluate (FP32 results cached once) -> drop <= bound? done
//     else: ranking subset = the samples that degraded most
//           each unit alone back to FP32, scored on that subset by the metric itself
//           order: a unit that alone recovers enough, cheapest in speed first; else
//                  recovered samples per share of the INT8 speed-up it carries
//           top candidate: first another range estimator for its inputs (tuning), then FP32
//           full evaluation; a step that does not improve the metric is undone and the next
//           candidate taken (use_prev_if_drop_increase) -> repeat
//           no single unit improves: revert candidates together, in ranking order, until the
//           metric improves (a drop spread over many layers moves no sample alone; layers that
//           each destroy the signal must go together)
//   bound met: give reverted units back INT8, costliest first, wherever the bound still holds.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <iostream>
#include <limits>
#include <map>
#include <set>
#include <string>

#include "octet/accuracy_aware.hpp"
#include "octet/error.hpp"
#include "quant/algorithms/accuracy_aware_eval.hpp"
#include "quant/algorithms/accuracy_aware_speed.hpp"
#include "quant/algorithms/accuracy_aware_tuning.hpp"
#include "quant/algorithms/default_quantization.hpp"
#include "quant/algorithms/layer_error.hpp"
#include "quant/algorithms/revert_layer.hpp"
#include "quant/report_builder.hpp"
#include "quant/transforms/insert_qdq.hpp"

namespace octet {
namespace {

using namespace quant;
using Clock = std::chrono::steady_clock;

// Weight of the summed target-class probability against whole recovered samples: enough to
// break ties and to see progress when no sample flips, never enough to outvote one sample.
constexpr double kSoftWeight = 0.25;
// Added to a unit's speed share so that a nearly free unit that recovers almost nothing does
// not outrank one that recovers much at a modest cost.
constexpr double kCostFloor = 0.05;
const std::vector<std::string> kTuneMethods = {"mse", "min_max", "quantile"};
constexpr int kLatencyRuns = 200;

struct Candidate {
  size_t unit = 0;
  double recovered = 0, soft = 0, benefit = 0, cost = 0, priority = 0;
  bool sufficient = false;  // alone it recovers what the bound needs (on the ranking subset)
};

// The samples that degraded most from FP32 to the current model, in index order.
std::vector<size_t> ranking_subset(const SampleOutcomes& fp32, const SampleOutcomes& cur, size_t size) {
  std::vector<std::pair<double, size_t>> scored;
  // The caller's per-sample values, when it gave them, say which samples degraded; the
  // probability change only breaks ties then.
  const bool per_sample = !fp32.per_sample.empty() && !cur.per_sample.empty();
  for (size_t i = 0; i < cur.hit.size(); ++i) {
    const double p = fp32.p_target[i] - cur.p_target[i];
    const double s = per_sample ? (fp32.per_sample[i] - cur.per_sample[i]) + 1e-3 * p
                                : (static_cast<double>(fp32.hit[i]) - cur.hit[i]) + p;
    scored.emplace_back(-s, i);
  }
  const size_t k = std::min(size, scored.size());
  std::partial_sort(scored.begin(), scored.begin() + static_cast<std::ptrdiff_t>(k), scored.end());
  std::vector<size_t> subset;
  for (size_t i = 0; i < k; ++i) subset.push_back(scored[i].second);
  std::sort(subset.begin(), subset.end());
  return subset;
}

class Search {
 public:
  Search(const Model& model, const SampleSource& calibration, const EvalData& eval, const QuantizeOptions& options,
         const AccuracyControlOptions& control, AccuracyAwareReport& report)
      : model_(model), calibration_(calibration), eval_(eval), options_(options), control_(control), r_(report),
        base_(default_quantization(model, calibration, options)),
        units_(revert_units(base_.fp32, base_.setup)),
        tuner_(base_.fp32, base_.setup, calibration, options,
               control.tune_hyperparams ? kTuneMethods : std::vector<std::string>{}),
        ev_(eval.samples, report.metric == "top1" && !eval.metric_fn ? eval.labels : std::vector<int64_t>{}, model.graph(),
            {report.metric == "agreement" || bool(eval.metric_fn), control.eval_batch, options.threads,
             options.input_shapes, eval.metric_fn}) {
    r_.default_seconds = seconds();
    fp32_ = ev_.set_reference(base_.fp32);
    r_.eval_samples = ev_.size();
    r_.fp32_metric = ev_.metric(fp32_);
    r_.allowed_drop = control.relative ? control.max_drop * r_.fp32_metric : control.max_drop;
  }

  double seconds() const { return std::chrono::duration<double>(Clock::now() - start_).count(); }
  bool within(const SampleOutcomes& o) const {
    const double drop = r_.fp32_metric - ev_.metric(o);
    return drop <= r_.allowed_drop + 1e-12;
  }
  double drop(const SampleOutcomes& o) const { return r_.fp32_metric - ev_.metric(o); }
  // Whether `o` scores better than the current model (hits, or the caller's metric).
  bool improves(const SampleOutcomes& o) const { return ev_.metric(o) > ev_.metric(cur_); }
  ir::Graph build(const SearchPoint& p) const {
    return insert_qdq(base_.fp32, apply_point(base_.fp32, base_.setup, units_, p, options_.preset));
  }
  double latency(const ir::Graph& g) const {
    // Batch 1 on one thread: stable on a shared machine, and the same for every model compared.
    return graph_latency_ms(g, model_.graph(), ev_.sample(0), 1, kLatencyRuns);
  }
  // Full evaluation of a point; a point seen before is not run again.
  SampleOutcomes evaluate(const SearchPoint& p) {
    std::string key;
    for (size_t u : p.reverted) key += cat("u", u, ",");
    for (const auto& [q, range] : p.ranges) key += cat("q", q, ":", range.estimator, ",");
    auto it = seen_.find(key);
    if (it != seen_.end()) return it->second;
    ++r_.evaluations;
    return seen_[key] = ev_.run(build(p));
  }

  void run();
  AccuracyAwareResult finish();

 private:
  std::vector<Candidate> rank(const std::vector<size_t>& subset);
  bool try_tuning(const Candidate& c, const std::vector<size_t>& subset, size_t iteration);
  bool try_revert(const Candidate& c, size_t iteration);
  bool try_revert_together(const std::vector<Candidate>& candidates, size_t iteration);
  void requantize_pass(size_t& iteration);
  void score_holdout(const ir::Graph& result);
  void record(AccuracyAwareStep step, const SampleOutcomes& o, bool accepted) {
    step.metric = ev_.metric(o);
    step.drop = drop(o);
    step.accepted = accepted;
    if (accepted) step.latency_ms = latency(build(point_));
    step.seconds = seconds();
    if (options_.verbose)
      std::cerr << "octet quantize: accuracy-aware " << step.action << " " << step.unit
                << (step.detail.empty() ? "" : " (" + step.detail + ")") << ": metric " << step.metric << ", drop "
                << step.drop << (accepted ? ", kept" : ", undone") << "\n";
    r_.steps.push_back(std::move(step));
  }

  const Model& model_;
  const SampleSource& calibration_;
  const EvalData& eval_;
  const QuantizeOptions& options_;
  const AccuracyControlOptions& control_;
  AccuracyAwareReport& r_;
  Clock::time_point start_ = Clock::now();
  DefaultQuantizationState base_;
  std::vector<RevertUnit> units_;
  RangeTuner tuner_;
  SearchEvaluator ev_;
  SampleOutcomes fp32_, cur_;
  SearchPoint point_;
  SpeedCosts speed_;
  std::set<size_t> tuned_;  // units whose inputs were already tried with other estimators
  std::map<std::string, SampleOutcomes> seen_;  // full evaluations by point
};

std::vector<Candidate> Search::rank(const std::vector<size_t>& subset) {
  size_t cur_hits = 0;
  double cur_soft = 0;
  for (size_t i : subset) {
    cur_hits += cur_.hit[i];
    cur_soft += cur_.p_target[i];
  }
  // Samples the bound still needs back; unknown in the units of a caller's metric, so then no
  // unit counts as sufficient alone and the order is by priority only.
  const double need = eval_.metric_fn ? std::numeric_limits<double>::infinity()
                                      : (static_cast<double>(fp32_.hits()) - r_.allowed_drop * static_cast<double>(ev_.size())) -
                                            static_cast<double>(cur_.hits());
  const QuantSetup current = apply_point(base_.fp32, base_.setup, units_, point_, options_.preset);
  std::vector<Candidate> out;
  for (size_t u = 0; u < units_.size(); ++u) {
    if (point_.reverted.count(u)) continue;
    const RevertUnit& unit = units_[u];
    // A group whose Q/DQ uses were already dropped (orphaned) has nothing left to revert.
    if (unit.kind == RevertUnit::Kind::kGroup &&
        std::none_of(current.activations.begin(), current.activations.end(), [&](const ActivationQuantizer& a) {
          return std::any_of(a.uses.begin(), a.uses.end(), [&](const auto& use) { return use.first == unit.node; });
        }))
      continue;
    SearchPoint p = point_;
    p.reverted.insert(u);
    const SampleOutcomes o = ev_.run(build(p), subset);
    ++r_.ranking_evaluations;
    Candidate c;
    c.unit = u;
    c.recovered = static_cast<double>(o.hits()) - static_cast<double>(cur_hits);
    double soft = 0;
    for (float x : o.p_target) soft += x;
    c.soft = soft - cur_soft;
    c.benefit = c.recovered + kSoftWeight * c.soft;
    c.cost = speed_.share.at(u);
    c.sufficient = c.recovered >= need && c.recovered > 0;
    c.priority = c.benefit / (c.cost + kCostFloor);
    out.push_back(c);
  }
  std::sort(out.begin(), out.end(), [](const Candidate& a, const Candidate& b) {
    if (a.sufficient != b.sufficient) return a.sufficient;
    if (a.sufficient && a.cost != b.cost) return a.cost < b.cost;
    return a.priority > b.priority;
  });
  return out;
}

bool Search::try_tuning(const Candidate& c, const std::vector<size_t>& subset, size_t iteration) {
  const RevertUnit& unit = units_[c.unit];
  if (tuner_.methods().empty() || unit.quantizers.empty() || !tuned_.insert(c.unit).second) return false;
  double cur_benefit = 0;
  for (size_t i : subset) cur_benefit += cur_.hit[i] + kSoftWeight * cur_.p_target[i];
  SearchPoint best;
  double best_gain = 0;
  std::string best_method;
  for (const std::string& method : tuner_.methods()) {
    SearchPoint p = point_;
    for (int q : unit.quantizers) p.ranges[q] = {method, tuner_.component_range(base_.setup, q, method)};
    const SampleOutcomes o = ev_.run(build(p), subset);
    ++r_.ranking_evaluations;
    double b = 0;
    for (size_t k = 0; k < subset.size(); ++k) b += o.hit[k] + kSoftWeight * o.p_target[k];
    if (b - cur_benefit > best_gain) {
      best_gain = b - cur_benefit;
      best = p;
      best_method = method;
    }
  }
  // Worth a full evaluation only when it recovers a fair part of what reverting would.
  if (best_method.empty() || best_gain < 0.5 * c.benefit) return false;
  const SampleOutcomes o = evaluate(best);
  AccuracyAwareStep step;
  step.iteration = iteration;
  step.action = "tune";
  step.unit = unit.name;
  step.detail = "inputs' range estimator " + best_method;
  step.ranking_gain = best_gain;
  const bool better = improves(o);
  if (better) {
    point_ = best;
    cur_ = o;
  } else {
    step.detail += ": undone, the metric did not improve";
  }
  record(step, o, better);
  return better;
}

bool Search::try_revert(const Candidate& c, size_t iteration) {
  SearchPoint p = point_;
  p.reverted.insert(c.unit);
  const SampleOutcomes o = evaluate(p);
  AccuracyAwareStep step;
  step.iteration = iteration;
  step.action = "revert";
  step.unit = units_[c.unit].name;
  step.speed_cost = c.cost;
  step.ranking_gain = c.recovered;
  const bool better = improves(o) || !control_.use_prev_if_drop_increase;
  if (better) {
    point_ = p;
    cur_ = o;
  } else {
    step.detail = "undone, the metric did not improve";
  }
  record(step, o, better);
  return better;
}

// On the committed MobileNet with the agreement metric, each of the last few flipped samples
// needs two or three layers back in FP32: every unit alone leaves the metric where it is, so
// the one-at-a-time search stopped short of a bound that FP32 itself meets. Reverting the
// helpful candidates cumulatively, in ranking order, finds the smallest prefix that improves
// the metric; the requantize pass later gives back whatever in it was not needed.
bool Search::try_revert_together(const std::vector<Candidate>& candidates, size_t iteration) {
  SearchPoint p = point_;
  std::string names;
  double cost = 0, gain = 0;
  size_t count = 0;
  // Every candidate, even one that alone changes nothing: when each of two layers alone wipes
  // out the information (both must go), neither moves a sample or a probability by itself.
  // The prefix ends at all units reverted, i.e. FP32, which always meets the bound.
  for (const Candidate& c : candidates) {
    p.reverted.insert(c.unit);
    names += (names.empty() ? "" : " ") + units_[c.unit].name;
    cost += c.cost;
    gain += c.recovered;
    ++count;
    const SampleOutcomes o = evaluate(p);  // memoized: a unit tried alone costs nothing again
    if (!improves(o)) continue;
    AccuracyAwareStep step;
    step.iteration = iteration;
    step.action = "revert";
    step.unit = names;
    step.detail = cat(count, " units together: none improved the metric alone");
    step.speed_cost = cost;
    step.ranking_gain = gain;
    point_ = p;
    cur_ = o;
    record(step, o, true);
    return true;
  }
  return false;
}

void Search::requantize_pass(size_t& iteration) {
  std::vector<size_t> reverted(point_.reverted.begin(), point_.reverted.end());
  std::sort(reverted.begin(), reverted.end(), [&](size_t a, size_t b) { return speed_.share[a] > speed_.share[b]; });
  for (size_t u : reverted) {
    if (control_.max_iters && iteration >= control_.max_iters) return;
    ++iteration;
    SearchPoint p = point_;
    p.reverted.erase(u);
    const SampleOutcomes o = evaluate(p);
    AccuracyAwareStep step;
    step.iteration = iteration;
    step.action = "requantize";
    step.unit = units_[u].name;
    step.speed_cost = speed_.share[u];
    const bool keep = within(o);
    if (keep) {
      point_ = p;
      cur_ = o;
    } else {
      step.detail = "undone, the bound no longer held";
    }
    record(step, o, keep);
  }
}

void Search::run() {
  cur_ = evaluate(point_);
  r_.default_metric = ev_.metric(cur_);
  r_.default_drop = drop(cur_);
  r_.fp32_latency_ms = latency(base_.fp32);
  r_.int8_latency_ms = latency(base_.qdq);
  if (within(cur_)) {
    r_.stop_reason = "DefaultQuantization already meets the bound";
    return;
  }
  speed_ = measure_speed_costs(base_.fp32, base_.qdq, base_.setup, model_.graph(), units_, ev_.sample(0), control_.speed, 1);
  r_.speed_source = speed_.source;
  size_t iteration = 0;
  while (!within(cur_)) {
    if (control_.max_iters && iteration >= control_.max_iters) {
      r_.stop_reason = cat("max_iters (", control_.max_iters, ") reached");
      break;
    }
    ++iteration;
    const std::vector<size_t> subset = ranking_subset(fp32_, cur_, control_.ranking_subset_size);
    r_.ranking_subset = subset.size();
    const std::vector<Candidate> candidates = rank(subset);
    if (r_.ranking.empty())
      for (const Candidate& c : candidates) {
        const RevertUnit& u = units_[c.unit];
        r_.ranking.push_back({u.name, u.kind == RevertUnit::Kind::kLayer ? "layer" : "group", u.op, c.recovered, c.soft,
                              c.cost, speed_.gain_ms[c.unit], speed_.macs[c.unit], c.priority});
      }
    bool progressed = false;
    for (const Candidate& c : candidates) {
      if (c.benefit <= 0) continue;  // alone it does not help on the samples that degraded
      if (control_.tune_hyperparams && try_tuning(c, subset, iteration)) { progressed = true; break; }
      if (try_revert(c, iteration)) { progressed = true; break; }
    }
    if (!progressed && control_.use_prev_if_drop_increase) progressed = try_revert_together(candidates, iteration);
    if (!progressed) {
      r_.stop_reason = candidates.empty() ? "nothing left to revert" : "no remaining unit improves the metric";
      break;
    }
  }
  if (within(cur_)) {
    // Says how, not again that it holds: the table and the plot print "bound met" before it.
    r_.stop_reason = cat("the drop is within the bound after ", iteration, " iteration", iteration == 1 ? "" : "s");
    if (control_.requantize && point_.reverted.size() > 0) requantize_pass(iteration);
  }
}

// Held-out samples: never seen by the search; scored for FP32, DefaultQuantization and the result.
void Search::score_holdout(const ir::Graph& result) {
  const bool top1 = r_.metric == "top1";
  if (top1 && eval_.holdout_labels.size() != eval_.holdout.count)
    fail("accuracy-aware quantization: ", eval_.holdout.count, " held-out samples but ", eval_.holdout_labels.size(),
         " labels");
  SearchEvaluator held(eval_.holdout, top1 ? eval_.holdout_labels : std::vector<int64_t>{}, model_.graph(),
                       {!top1, control_.eval_batch, options_.threads, options_.input_shapes, {}});
  r_.holdout_samples = held.size();
  r_.holdout_fp32_metric = held.metric(held.set_reference(base_.fp32));
  r_.holdout_default_metric = held.metric(held.run(base_.qdq));
  r_.holdout_final_metric = held.metric(held.run(result));
  r_.holdout_final_drop = r_.holdout_fp32_metric - r_.holdout_final_metric;
}

AccuracyAwareResult Search::finish() {
  const QuantSetup setup = apply_point(base_.fp32, base_.setup, units_, point_, options_.preset);
  ir::Graph result = insert_qdq(base_.fp32, setup);
  r_.final_metric = ev_.metric(cur_);
  r_.final_drop = drop(cur_);
  r_.bound_met = within(cur_);
  r_.final_latency_ms = point_.reverted.empty() && point_.ranges.empty() ? r_.int8_latency_ms : latency(result);
  r_.fp32_weight_bytes = graph_weight_bytes(base_.fp32);
  r_.int8_weight_bytes = graph_weight_bytes(base_.qdq);
  r_.final_weight_bytes = graph_weight_bytes(result);
  for (size_t u : point_.reverted) r_.fp32_units.push_back(units_[u].name);
  for (const auto& [q, range] : point_.ranges)
    r_.tuned.push_back(base_.fp32.value(base_.setup.activations[static_cast<size_t>(q)].value).name + ": " + range.estimator);
  r_.quantize = base_.report;
  fill_report(r_.quantize, base_.fp32, setup);
  // DefaultQuantization's output check described its model; the search changed it: check again.
  if (options_.report_subset_size > 0 && !(point_.reverted.empty() && point_.ranges.empty())) {
    std::vector<std::string>& w = r_.quantize.warnings;
    w.erase(std::remove(w.begin(), w.end(), base_.output_warning), w.end());
    ir::Graph reference = result;
    fold_constant_dequantize(reference);
    const size_t count = std::min(r_.quantize.calibration_samples, options_.report_subset_size);
    const std::string again = report_quantization_error(r_.quantize, base_.fp32, reference, setup, calibration_, count, options_);
    if (!again.empty()) w.push_back(again);
  }
  if (eval_.holdout.count > 0) score_holdout(result);
  restore_dynamic_dims(result, model_.graph(), options_.input_shapes);
  return {Model(std::make_shared<ir::Graph>(std::move(result))), r_};
}

}  // namespace

AccuracyAwareResult quantize_with_accuracy_control(const Model& model, const SampleSource& calibration,
                                                   const EvalData& eval, const QuantizeOptions& options,
                                                   const AccuracyControlOptions& control) {
  const auto start = Clock::now();
  if (!(control.max_drop >= 0 && control.max_drop < 1))
    fail("accuracy-aware quantization: max_drop ", control.max_drop, " must be in [0, 1) (0.01 = one point)");
  if (control.ranking_subset_size == 0) fail("accuracy-aware quantization: ranking_subset_size must be at least 1");
  AccuracyAwareReport report;
  const bool labelled = !eval.labels.empty();
  report.metric = eval.metric_fn ? eval.metric_fn_name
                                 : control.metric.empty() ? (labelled ? "top1" : "agreement") : control.metric;
  if (!eval.metric_fn && report.metric != "top1" && report.metric != "agreement")
    fail("accuracy-aware quantization: metric '", report.metric, "' is not one of: top1, agreement");
  if (!eval.metric_fn && report.metric == "top1" && !labelled)
    fail("accuracy-aware quantization: the top1 metric needs labels for the evaluation data (or use agreement)");
  report.drop_type = drop_type_name(control.relative);
  report.max_drop = control.max_drop;

  AccuracyAwareResult result = [&] {
    Search search(model, calibration, eval, options, control, report);
    search.run();
    return search.finish();
  }();
  AccuracyAwareReport& r = result.report;
  r.search_seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return result;
}

}  // namespace octet
