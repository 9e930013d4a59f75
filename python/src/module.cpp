// The _octet extension module: octet's C++ API for Python. octet::Error becomes octet.Error
// (a RuntimeError carrying octet's message); the Python package re-exports it.
#include <pybind11/pybind11.h>

#include "bindings.hpp"
#include "octet/data.hpp"
#include "octet/error.hpp"

PYBIND11_MODULE(_octet, m) {
  m.doc() = "octet's C++ engine and quantizer; import octet, not this module";
  auto error = pybind11::register_exception<octet::Error>(m, "Error", PyExc_RuntimeError);
  pybind11::register_exception<octet::BadSampleError>(m, "BadSampleError", error.ptr());
  octet::py::bind_engine(m);
  octet::py::bind_data(m);
  octet::py::bind_quantize(m);
}
