// quantize and quantize_with_accuracy_control (octet/quantize.hpp, octet/accuracy_aware.hpp)
// for Python. The Python package hands over samples already turned into model inputs (lists
// of arrays in input order); they are converted and checked here with the GIL held, then the
// algorithms run with it released. The user's metric is called back with the GIL taken again.
#include <pybind11/functional.h>
#include <pybind11/stl.h>

#include "arrays.hpp"
#include "bindings.hpp"
#include "octet/accuracy_aware.hpp"
#include "octet/error.hpp"
#include "octet/quantize.hpp"

namespace octet::py {
namespace {

using Samples = std::vector<std::vector<Tensor>>;

// Items of `what` (a list of lists of arrays) as tensors, each checked against the model.
Samples samples_from_list(const pyb::list& items, const Model& model, const std::map<std::string, Shape>& shapes,
                          const std::string& what) {
  Samples out;
  for (size_t i = 0; i < items.size(); ++i) {
    const std::string name = cat(what, " item ", i);
    std::vector<Tensor> inputs;
    const pyb::list arrays = items[i].cast<pyb::list>();
    for (size_t k = 0; k < arrays.size(); ++k) inputs.push_back(tensor_from_array(arrays[k], cat(name, ", input ", k)));
    check_sample_fits(inputs, model, shapes, what, name, "the model");
    out.push_back(std::move(inputs));
  }
  return out;
}

SampleSource source_of(const Samples& samples) {
  return {samples.size(), [&samples](size_t i) { return samples.at(i); }};
}

template <class T>
void take(const pyb::dict& d, const char* key, T& out) {
  if (d.contains(key) && !d[key].is_none()) out = d[key].cast<T>();
}

// The Python keyword arguments (already named as in octet.quantize) over the config file's
// options, as the CLI's flags go over --config.
QuantizeOptions options_from(const pyb::dict& d, const std::string& config_path) {
  QuantizeOptions q;
  if (!config_path.empty()) q = read_quantize_config(config_path).options;
  std::string s;
  if (d.contains("preset")) q.preset = parse_preset(d["preset"].cast<std::string>(), "preset");
  if (d.contains("model_type")) q.model_type = parse_model_type(d["model_type"].cast<std::string>(), "model_type");
  if (d.contains("bias_correction"))
    q.bias_correction = parse_bias_correction(d["bias_correction"].cast<std::string>(), "bias_correction");
  if (d.contains("saturation_fix"))
    q.saturation_fix = parse_saturation_fix(d["saturation_fix"].cast<std::string>(), "saturation_fix");
  if (d.contains("placement")) q.placement = parse_placement(d["placement"].cast<std::string>(), "placement");
  take(d, "subset_size", q.subset_size);
  if (q.subset_size == 0) fail("subset_size must be at least 1");
  if (d.contains("ignored")) q.ignored = d["ignored"].cast<std::vector<std::string>>();
  take(d, "activations_range", q.activations.method);
  take(d, "histogram_bins", q.activations.histogram_bins);
  take(d, "weights_range", q.weights.method);
  take(d, "bias_correction_threshold", q.bias_correction_threshold);
  take(d, "full_bias_correction_subset", q.full_bias_correction_subset);
  take(d, "statistics_path", q.stats_path);
  take(d, "report_subset_size", q.report_subset_size);
  take(d, "threads", q.threads);
  take(d, "progress", q.progress);
  take(d, "verbose", q.verbose);
  if (d.contains("shapes")) q.input_shapes = shapes_from_dict(d["shapes"], "shapes");
  return q;
}

AccuracyControlOptions control_from(const pyb::dict& d, const std::string& config_path) {
  AccuracyControlOptions c;
  if (!config_path.empty()) c = read_quantize_config(config_path).accuracy;
  take(d, "max_drop", c.max_drop);
  if (d.contains("drop_type")) c.relative = parse_drop_type(d["drop_type"].cast<std::string>(), "drop_type");
  take(d, "metric", c.metric);
  take(d, "ranking_subset_size", c.ranking_subset_size);
  take(d, "max_iters", c.max_iters);
  take(d, "tune_hyperparams", c.tune_hyperparams);
  take(d, "use_prev_if_drop_increase", c.use_prev_if_drop_increase);
  take(d, "requantize", c.requantize);
  take(d, "speed", c.speed);
  take(d, "eval_batch", c.eval_batch);
  return c;
}

// What validation_fn returned: a number, or (number, per-sample values).
MetricValue metric_value_of(const pyb::object& r) {
  MetricValue v;
  pyb::object value = r;
  if (pyb::isinstance<pyb::tuple>(r) || pyb::isinstance<pyb::list>(r)) {
    const pyb::sequence seq = r.cast<pyb::sequence>();
    if (seq.size() != 2) fail("validation_fn must return a number or (number, per-sample values), got ", seq.size(), " items");
    value = seq[0];
    if (!seq[1].is_none()) {
      try {
        v.per_sample = pyb::module_::import("numpy").attr("asarray")(seq[1], "float64").attr("ravel")().attr("tolist")()
                           .cast<std::vector<double>>();
      } catch (pyb::error_already_set& e) {
        fail("validation_fn's per-sample values are not numbers (", e.what(), ")");
      }
    }
  }
  try {
    v.value = pyb::float_(value).cast<double>();
  } catch (pyb::error_already_set& e) {
    fail("validation_fn must return a number, got ", std::string(pyb::str(pyb::type::of(value).attr("__name__"))));
  }
  return v;
}

pyb::tuple quantize_py(const Model& model, const pyb::list& calibration, const pyb::dict& kwargs,
                       const std::string& config) {
  const QuantizeOptions q = options_from(kwargs, config);
  const Samples samples = samples_from_list(calibration, model, q.input_shapes, "calibration_dataset");
  QuantizeResult r = [&] {
    pyb::gil_scoped_release release;
    return quantize(model, source_of(samples), q);
  }();
  return pyb::make_tuple(std::move(r.model), report_to_json(r.report), report_table(r.report));
}

pyb::tuple quantize_with_accuracy_control_py(const Model& model, const pyb::list& calibration,
                                             const pyb::list& validation, const pyb::object& labels,
                                             const pyb::dict& kwargs, const pyb::dict& control_kwargs,
                                             const std::string& config, const pyb::object& validation_fn,
                                             const std::string& metric_name) {
  const QuantizeOptions q = options_from(kwargs, config);
  const AccuracyControlOptions c = control_from(control_kwargs, config);
  const Samples calib = samples_from_list(calibration, model, q.input_shapes, "calibration_dataset");
  const Samples eval_samples = samples_from_list(validation, model, q.input_shapes, "validation_dataset");
  EvalData eval;
  eval.samples = source_of(eval_samples);
  if (!labels.is_none()) eval.labels = labels.cast<std::vector<int64_t>>();
  if (!validation_fn.is_none()) {
    eval.metric_fn_name = metric_name;
    // The search calls this with the GIL released; take it back for the call. The function is
    // held by pointer: the search copies metric_fn without the GIL, and copying a Python object
    // would touch its reference count. validation_fn outlives the search (it is our argument).
    const pyb::object* fn = &validation_fn;
    eval.metric_fn = [fn](CompiledModel& compiled) {
      pyb::gil_scoped_acquire gil;
      return metric_value_of((*fn)(PyCompiled{compiled}));
    };
  }
  AccuracyAwareResult r = [&] {
    pyb::gil_scoped_release release;
    return quantize_with_accuracy_control(model, source_of(calib), eval, q, c);
  }();
  return pyb::make_tuple(std::move(r.model), accuracy_aware_json(r.report), accuracy_aware_table(r.report),
                         r.report.bound_met);
}

// A config file's settings as Python values, for octet.read_config.
pyb::dict config_dict(const std::string& path) {
  const QuantizeConfig c = read_quantize_config(path);
  const QuantizeOptions& q = c.options;
  pyb::dict options;
  options["preset"] = preset_name(q.preset);
  options["model_type"] = model_type_name(q.model_type);
  options["subset_size"] = q.subset_size;
  options["ignored"] = q.ignored;
  options["activations_range"] = q.activations.method;
  options["weights_range"] = q.weights.method;
  options["bias_correction"] = bias_correction_name(q.bias_correction);
  options["bias_correction_threshold"] = q.bias_correction_threshold;
  options["saturation_fix"] = saturation_fix_name(q.saturation_fix);
  options["placement"] = placement_name(q.placement);
  options["report_subset_size"] = q.report_subset_size;
  pyb::dict control;
  control["max_drop"] = c.accuracy.max_drop;
  control["drop_type"] = drop_type_name(c.accuracy.relative);
  control["metric"] = c.accuracy.metric;
  control["ranking_subset_size"] = c.accuracy.ranking_subset_size;
  control["max_iters"] = c.accuracy.max_iters;
  pyb::dict out;
  out["path"] = path;
  out["model"] = c.model;
  out["output"] = c.output;
  out["data"] = c.data;
  out["algorithm"] = c.algorithm;
  out["options"] = options;
  out["accuracy"] = control;
  return out;
}

}  // namespace

void bind_quantize(pyb::module_& m) {
  m.def("quantize", &quantize_py);
  m.def("quantize_with_accuracy_control", &quantize_with_accuracy_control_py);
  m.def("read_config", &config_dict);
  m.def("enum_names", [] {
    pyb::dict d;
    d["preset"] = preset_names();
    d["model_type"] = model_type_names();
    d["bias_correction"] = bias_correction_names();
    d["saturation_fix"] = saturation_fix_names();
    d["placement"] = placement_names();
    return d;
  });
}

}  // namespace octet::py
