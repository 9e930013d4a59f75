// dataset_input_order() and model_inputs_of(): which dataset tensor feeds which model input,
// and as what shape. One rule for every command that feeds a dataset to a model, so `quantize`
// cannot calibrate from a file that `eval` refuses.
#include "octet/data.hpp"

namespace octet {

std::vector<size_t> dataset_input_order(const Dataset& data, const std::vector<ValueInfo>& want) {
  const std::vector<std::string> names = data.input_names();
  std::string model_inputs;
  for (const ValueInfo& v : want) model_inputs += cat(model_inputs.empty() ? "" : ", ", "'", v.name, "'");
  if (names.size() != want.size())
    fail("the model takes ", want.size(), want.size() == 1 ? " input (" : " inputs (", model_inputs, "); dataset ",
         data.describe(), " gives ",
         names.size(), want.size() > 1 ? " (give one .npy per input: NAME=FILE.npy,...)" : "");
  std::vector<size_t> order(want.size());
  for (size_t m = 0; m < want.size(); ++m) {
    order[m] = m;
    if (names[0].empty()) continue;
    bool found = false;
    for (size_t d = 0; d < names.size(); ++d)
      if (names[d] == want[m].name) { order[m] = d; found = true; }
    if (!found)
      fail("model input '", want[m].name, "' is not given by dataset ", data.describe(), " (the model's inputs: ",
           model_inputs, "; name them NAME=FILE.npy or drop the NAME=)");
  }
  return order;
}

std::vector<Tensor> model_inputs_of(Sample sample, const std::vector<size_t>& order, const std::vector<ValueInfo>& want) {
  std::vector<Tensor> inputs;
  inputs.reserve(order.size());
  for (size_t m = 0; m < order.size(); ++m) {
    Tensor t = std::move(sample.inputs.at(order[m]));
    if (m < want.size() && t.shape.size() == want[m].shape.size() + 1 && t.shape[0] == 1) t.shape.erase(t.shape.begin());
    inputs.push_back(std::move(t));
  }
  return inputs;
}

}  // namespace octet
