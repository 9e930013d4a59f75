// numpy arrays <-> octet::Tensor, the one place the binding converts data. An input array is
// copied once into a Tensor (octet's Tensor owns its bytes); an output Tensor is moved into
// the array's owner, so the array views octet's buffer without a copy.
#pragma once
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <string>
#include <vector>

#include "octet/tensor.hpp"

namespace octet::py {

namespace pyb = pybind11;

// `what` names the value in errors ("input 'x'", "calibration_dataset item 3, input 0").
// Accepts anything numpy.asarray accepts (lists, torch tensors); refuses dtypes octet has not.
Tensor tensor_from_array(const pyb::handle& value, const std::string& what);
pyb::array array_from_tensor(Tensor&& tensor);

// The numpy dtype name of an octet dtype ("float32").
const char* numpy_dtype_name(DType dtype);

}  // namespace octet::py
