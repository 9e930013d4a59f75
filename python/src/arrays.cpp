// Conversions between numpy arrays and octet tensors; see arrays.hpp.
#include "arrays.hpp"

#include <cstring>

#include "octet/error.hpp"

namespace octet::py {
namespace {

struct DTypePair {
  DType octet;
  const char* numpy;
};
// numpy's names; one table for both directions.
constexpr DTypePair kDTypes[] = {
    {DType::kFloat32, "float32"}, {DType::kFloat16, "float16"}, {DType::kFloat64, "float64"},
    {DType::kInt8, "int8"},       {DType::kUInt8, "uint8"},     {DType::kInt16, "int16"},
    {DType::kUInt16, "uint16"},   {DType::kInt32, "int32"},     {DType::kInt64, "int64"},
    {DType::kBool, "bool"},
};

}  // namespace

const char* numpy_dtype_name(DType dtype) {
  for (const DTypePair& p : kDTypes)
    if (p.octet == dtype) return p.numpy;
  return "undefined";
}

Tensor tensor_from_array(const pyb::handle& value, const std::string& what) {
  pyb::array array;
  try {
    array = pyb::module_::import("numpy").attr("asarray")(value);
  } catch (pyb::error_already_set& e) {
    fail(what, ": not an array (", e.what(), ")");
  }
  const std::string name = pyb::str(array.dtype().attr("name"));
  DType dtype = DType::kUndefined;
  for (const DTypePair& p : kDTypes)
    if (name == p.numpy) dtype = p.octet;
  if (dtype == DType::kUndefined)
    fail(what, ": numpy dtype ", name, " is not one octet runs (float32, float16, float64, int8, uint8, int16, "
         "uint16, int32, int64, bool)");
  Shape shape(array.shape(), array.shape() + array.ndim());
  Tensor t(dtype, shape);
  // A strided or non-native view becomes C order first; a C-contiguous array is copied as is.
  pyb::array c = pyb::array::ensure(array, pyb::array::c_style);
  if (!c) fail(what, ": could not make a C-contiguous copy of the array");
  if (!t.bytes.empty()) std::memcpy(t.bytes.data(), c.data(), t.bytes.size());
  return t;
}

pyb::array array_from_tensor(Tensor&& tensor) {
  auto* owned = new Tensor(std::move(tensor));
  pyb::capsule owner(owned, [](void* p) { delete static_cast<Tensor*>(p); });
  std::vector<pyb::ssize_t> shape(owned->shape.begin(), owned->shape.end());
  const pyb::dtype dtype(numpy_dtype_name(owned->dtype));
  std::vector<pyb::ssize_t> strides(shape.size());
  pyb::ssize_t stride = static_cast<pyb::ssize_t>(dtype_size(owned->dtype));
  for (size_t i = shape.size(); i-- > 0;) {
    strides[i] = stride;
    stride *= shape[i];
  }
  // An empty tensor has no buffer; numpy still wants a valid pointer.
  static uint8_t empty = 0;
  void* data = owned->bytes.empty() ? &empty : owned->bytes.data();
  return pyb::array(dtype, shape, strides, data, owner);
}

}  // namespace octet::py
