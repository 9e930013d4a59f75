// check_sample_fits (octet/quantize.hpp): a wrong dataset named before calibration starts. The
// engine alone would only say, minutes later, that an input's shape differs.
#include "octet/quantize.hpp"

namespace octet {

void check_sample_fits(const std::vector<Tensor>& inputs, const Model& model,
                       const std::map<std::string, Shape>& fixed_shapes, const std::string& source,
                       const std::string& sample, const std::string& model_name) {
  const std::vector<ValueInfo> wanted = model.inputs();
  if (inputs.size() != wanted.size())
    fail(source, ": samples have ", inputs.size(), " input(s); ", model_name, " takes ", wanted.size());
  for (size_t i = 0; i < wanted.size(); ++i) {
    bool fits = inputs[i].shape.size() == wanted[i].shape.size();
    for (size_t d = 1; fits && d < inputs[i].shape.size(); ++d)
      fits = wanted[i].shape[d] < 0 || wanted[i].shape[d] == inputs[i].shape[d] ||
             fixed_shapes.count(wanted[i].name) != 0;
    if (!fits)
      fail(sample, ": a sample of shape ", shape_str(inputs[i].shape), " for input '", wanted[i].name, "'; ",
           model_name, " wants ", shape_str(wanted[i].shape), " (?: any size)");
  }
}

}  // namespace octet
