// Decoding and encoding of ONNX tensors, external data included.
#include "onnx/tensor_proto.hpp"

#include <filesystem>
#include <fstream>

#include "octet/error.hpp"

namespace octet::onnx_io {

DType dtype_from_onnx(int32_t t) {
  using TP = onnx::TensorProto;
  switch (t) {
    case TP::FLOAT: return DType::kFloat32;
    case TP::FLOAT16: return DType::kFloat16;
    case TP::DOUBLE: return DType::kFloat64;
    case TP::INT8: return DType::kInt8;
    case TP::UINT8: return DType::kUInt8;
    case TP::INT16: return DType::kInt16;
    case TP::UINT16: return DType::kUInt16;
    case TP::INT32: return DType::kInt32;
    case TP::INT64: return DType::kInt64;
    case TP::BOOL: return DType::kBool;
    default: return DType::kUndefined;
  }
}

int32_t dtype_to_onnx(DType d) {
  using TP = onnx::TensorProto;
  switch (d) {
    case DType::kFloat32: return TP::FLOAT;
    case DType::kFloat16: return TP::FLOAT16;
    case DType::kFloat64: return TP::DOUBLE;
    case DType::kInt8: return TP::INT8;
    case DType::kUInt8: return TP::UINT8;
    case DType::kInt16: return TP::INT16;
    case DType::kUInt16: return TP::UINT16;
    case DType::kInt32: return TP::INT32;
    case DType::kInt64: return TP::INT64;
    case DType::kBool: return TP::BOOL;
    case DType::kUndefined: break;
  }
  return TP::UNDEFINED;
}

namespace {

// Reads external data, refusing locations that escape the model's folder.
std::string read_external(const onnx::TensorProto& proto, const std::string& model_dir, const std::string& what) {
  std::string location;
  int64_t offset = 0, length = -1;
  for (const auto& kv : proto.external_data()) {
    if (kv.key() == "location") location = kv.value();
    else if (kv.key() == "offset") offset = std::stoll(kv.value());
    else if (kv.key() == "length") length = std::stoll(kv.value());
  }
  if (location.empty()) fail(what, ": external data without a location");
  namespace fs = std::filesystem;
  const fs::path rel(location);
  if (rel.is_absolute()) fail(what, ": external data location '", location, "' is absolute; it must be beside the model");
  const fs::path dir = fs::weakly_canonical(fs::path(model_dir.empty() ? "." : model_dir));
  const fs::path full = fs::weakly_canonical(dir / rel);
  const auto [dir_end, full_it] = std::mismatch(dir.begin(), dir.end(), full.begin(), full.end());
  if (dir_end != dir.end()) fail(what, ": external data location '", location, "' escapes the model's folder");
  std::ifstream in(full, std::ios::binary);
  if (!in) fail(what, ": cannot open external data file '", full.string(), "'");
  in.seekg(0, std::ios::end);
  const int64_t size = in.tellg();
  if (offset < 0 || offset > size) fail(what, ": external data offset ", offset, " is outside '", full.string(), "'");
  if (length < 0) length = size - offset;
  if (offset + length > size) fail(what, ": external data needs ", length, " bytes at offset ", offset, " but '",
                                   full.string(), "' has ", size);
  std::string bytes(static_cast<size_t>(length), '\0');
  in.seekg(offset);
  in.read(bytes.data(), length);
  return bytes;
}

template <class Field>
void copy_typed(Tensor& t, const Field& field, size_t expect, const std::string& what) {
  if (static_cast<size_t>(field.size()) != expect)
    fail(what, ": has ", field.size(), " values but its shape ", shape_str(t.shape), " needs ", expect);
}

}  // namespace

Tensor tensor_from_proto(const onnx::TensorProto& proto, const std::string& model_dir, const std::string& what) {
  const DType dtype = dtype_from_onnx(proto.data_type());
  if (dtype == DType::kUndefined) fail(what, ": ONNX data type ", proto.data_type(), " is not supported");
  Shape shape(proto.dims().begin(), proto.dims().end());
  int64_t numel = 1;
  for (int64_t d : shape) {
    if (d < 0) fail(what, ": negative dimension in ", shape_str(shape));
    if (d > 0 && numel > (int64_t{1} << 40) / d) fail(what, ": shape ", shape_str(shape), " is too large");
    numel *= d;
  }
  const size_t n = static_cast<size_t>(numel);
  const size_t bytes = n * dtype_size(dtype);
  const bool external = proto.data_location() == onnx::TensorProto::EXTERNAL;
  // Check the stored size before allocating what the shape claims.
  if (!external && proto.has_raw_data() && proto.raw_data().size() != bytes)
    fail(what, ": raw data has ", proto.raw_data().size(), " bytes but shape ", shape_str(shape), " of ",
         dtype_name(dtype), " needs ", bytes);
  Tensor t(dtype, shape);
  if (external) {
    const std::string data = read_external(proto, model_dir, what);
    if (data.size() != bytes) fail(what, ": external data has ", data.size(), " bytes, shape needs ", bytes);
    std::memcpy(t.bytes.data(), data.data(), bytes);
    return t;
  }
  if (proto.has_raw_data()) {
    std::memcpy(t.bytes.data(), proto.raw_data().data(), bytes);
    return t;
  }
  switch (dtype) {
    case DType::kFloat32:
      copy_typed(t, proto.float_data(), n, what);
      std::copy(proto.float_data().begin(), proto.float_data().end(), t.data<float>());
      break;
    case DType::kFloat64:
      copy_typed(t, proto.double_data(), n, what);
      std::copy(proto.double_data().begin(), proto.double_data().end(), t.data<double>());
      break;
    case DType::kInt64:
      copy_typed(t, proto.int64_data(), n, what);
      std::copy(proto.int64_data().begin(), proto.int64_data().end(), t.data<int64_t>());
      break;
    case DType::kUInt16:
    case DType::kFloat16: {  // stored one per int32 element
      copy_typed(t, proto.int32_data(), n, what);
      for (size_t i = 0; i < n; ++i) t.data<uint16_t>()[i] = static_cast<uint16_t>(proto.int32_data(static_cast<int>(i)));
      break;
    }
    case DType::kInt32:
    case DType::kInt16:
    case DType::kInt8:
    case DType::kUInt8:
    case DType::kBool: {
      copy_typed(t, proto.int32_data(), n, what);
      Tensor i32(DType::kInt32, shape);
      std::copy(proto.int32_data().begin(), proto.int32_data().end(), i32.data<int32_t>());
      t = convert_tensor(i32, dtype);
      break;
    }
    default: fail(what, ": cannot decode ", dtype_name(dtype));
  }
  return t;
}

void tensor_to_proto(const Tensor& tensor, const std::string& name, onnx::TensorProto* proto) {
  proto->set_name(name);
  proto->set_data_type(dtype_to_onnx(tensor.dtype));
  for (int64_t d : tensor.shape) proto->add_dims(d);
  proto->set_raw_data(std::string(reinterpret_cast<const char*>(tensor.bytes.data()), tensor.bytes.size()));
}

}  // namespace octet::onnx_io
