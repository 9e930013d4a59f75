// `octet quantize --algorithm accuracy-aware`: the CLI side of AccuracyAwareQuantization
// (flags, the tuning/held-out split of the evaluation data, report, picture, exit code 3 when
// the bound is not met). quantize.cpp parses the shared flags and hands over here.
#pragma once
#include <memory>
#include <string>

#include "octet/data.hpp"
#include "octet/quantize.hpp"
#include "tools/octet/commands.hpp"

namespace octet::cli {

struct AccuracyAwareJob {
  std::string model_path, output;
  std::shared_ptr<Dataset> eval_data;   // --eval-data (labels optional)
  size_t eval_subset = 0;               // 0: all samples
  uint64_t seed = 0;
  std::string holdout;                  // "data.holdout" from --config, if any
  AccuracyControlOptions control;       // from --config; flags override
  std::string preprocess;               // octet.preprocess for the output when --preprocess was given
};

// The flags this adds to `octet quantize` (value flags, then switches).
const std::vector<std::string>& accuracy_aware_value_flags();
const std::vector<std::string>& accuracy_aware_switch_flags();
extern const char* kAccuracyAwareHelp;

int quantize_accuracy_aware(const Args& args, const Model& model, const SampleSource& calibration,
                            const QuantizeOptions& options, AccuracyAwareJob job);

}  // namespace octet::cli
