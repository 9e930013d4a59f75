// Datasets from specs (octet/data.hpp) for Python: octet.open_dataset("fashion-mnist:test")
// is an indexable source of (inputs, label) items, the same samples the CLI's --data reads.
#include <pybind11/stl.h>

#include "arrays.hpp"
#include "bindings.hpp"
#include "octet/data.hpp"
#include "octet/error.hpp"

namespace octet::py {

void bind_data(pyb::module_& m) {
  pyb::class_<Dataset, std::shared_ptr<Dataset>>(m, "DataSource")
      .def("__len__", &Dataset::size)
      .def("__getitem__", [](const Dataset& d, int64_t index) {
        const int64_t n = static_cast<int64_t>(d.size());
        if (index < 0) index += n;
        if (index < 0 || index >= n) throw pyb::index_error(cat(d.describe(), ": no item ", index));
        Sample s;
        {
          pyb::gil_scoped_release release;
          s = d.sample(static_cast<size_t>(index));
        }
        pyb::list inputs;
        for (Tensor& t : s.inputs) inputs.append(array_from_tensor(std::move(t)));
        pyb::object label = s.labels.empty() ? pyb::object(pyb::none()) : pyb::object(pyb::int_(s.labels[0]));
        return pyb::make_tuple(inputs, label);
      })
      .def_property_readonly("has_labels", &Dataset::has_labels)
      .def_property_readonly("input_names", &Dataset::input_names)
      .def("describe", &Dataset::describe)
      .def("sample_name", &Dataset::sample_name);

  m.def("open_dataset", [](const std::string& spec, const std::string& labels, const std::string& preprocess,
                           const Model* model) {
    std::optional<Preprocess> p;
    if (model) p = Preprocess::for_model(*model, preprocess, "preprocess");
    else if (!preprocess.empty()) p = Preprocess::from_json(preprocess, "preprocess");
    pyb::gil_scoped_release release;
    return open_dataset(spec, labels, p);
  });
  m.def("sample_indices", &sample_indices);
}

}  // namespace octet::py
