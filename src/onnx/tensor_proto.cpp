// Decoding and encoding of ONNX tensors, external data included.
#include "onnx/tensor_proto.hpp"

#include <filesystem>
#include <fstream>

#include "core/limits.hpp"
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

// A non-negative integer from an external_data entry; anything else is an error naming it.
int64_t external_int(const std::string& text, const std::string& key, const std::string& what) {
  size_t used = 0;
  long long v = -1;
  try { v = std::stoll(text, &used); } catch (...) { used = 0; }
  if (used == 0 || used != text.size() || v < 0)
    fail(what, ": external data '", key, "' is '", text, "'; want a non-negative integer");
  return v;
}

// Reads external data, refusing locations that escape the model's folder (absolute paths,
// "..", symlinks that resolve outside it) and ranges that do not hold exactly `want` bytes,
// before reading anything.
std::string read_external(const onnx::TensorProto& proto, const std::string& model_dir, size_t want,
                          const std::string& what) {
  std::string location;
  int64_t offset = 0, length = -1;
  for (const auto& kv : proto.external_data()) {
    if (kv.key() == "location") location = kv.value();
    else if (kv.key() == "offset") offset = external_int(kv.value(), "offset", what);
    else if (kv.key() == "length") length = external_int(kv.value(), "length", what);
  }
  if (location.empty()) fail(what, ": external data without a location");
  namespace fs = std::filesystem;
  const fs::path rel(location);
  if (rel.is_absolute()) fail(what, ": external data location '", location, "' is absolute; it must be beside the model");
  // weakly_canonical resolves symlinks, so a link inside the folder that points out is caught too.
  // It throws on what the file system refuses (a symlink loop, a name too long): say which
  // location, not "internal error".
  fs::path dir, full;
  std::error_code ec;
  dir = fs::weakly_canonical(fs::path(model_dir.empty() ? "." : model_dir), ec);
  if (!ec) full = fs::weakly_canonical(dir / rel, ec);
  if (ec) fail(what, ": external data location '", location, "' cannot be resolved: ", ec.message());
  const auto [dir_end, full_it] = std::mismatch(dir.begin(), dir.end(), full.begin(), full.end());
  if (dir_end != dir.end() || full_it == full.end())
    fail(what, ": external data location '", location, "' escapes the model's folder");
  if (!fs::is_regular_file(full, ec)) fail(what, ": external data file '", full.string(), "' is missing or not a file");
  std::ifstream in(full, std::ios::binary);
  if (!in) fail(what, ": cannot open external data file '", full.string(), "'");
  in.seekg(0, std::ios::end);
  const int64_t size = in.tellg();
  if (offset > size) fail(what, ": external data offset ", offset, " is outside '", full.string(), "' (", size, " bytes)");
  if (length < 0) length = size - offset;
  if (length > size - offset)
    fail(what, ": external data needs ", length, " bytes at offset ", offset, " but '", full.string(), "' has ", size);
  if (static_cast<uint64_t>(length) != want)
    fail(what, ": external data has ", length, " bytes, its shape needs ", want);
  std::string bytes(static_cast<size_t>(length), '\0');
  in.seekg(offset);
  in.read(bytes.data(), length);
  if (in.gcount() != length) fail(what, ": reading external data from '", full.string(), "' failed");
  return bytes;
}

// Values stored in the proto's typed field for `dtype`.
int64_t typed_count(const onnx::TensorProto& proto, DType dtype) {
  switch (dtype) {
    case DType::kFloat32: return proto.float_data_size();
    case DType::kFloat64: return proto.double_data_size();
    case DType::kInt64: return proto.int64_data_size();
    default: return proto.int32_data_size();
  }
}

}  // namespace

Tensor tensor_from_proto(const onnx::TensorProto& proto, const std::string& model_dir, const std::string& what) {
  const DType dtype = dtype_from_onnx(proto.data_type());
  if (dtype == DType::kUndefined) fail(what, ": ONNX data type ", proto.data_type(), " is not supported");
  const Shape shape(proto.dims().begin(), proto.dims().end());
  check_tensor_size(shape, dtype, what);
  const size_t bytes = static_cast<size_t>(tensor_bytes_checked(shape, dtype));
  const size_t n = bytes / dtype_size(dtype);
  // The stored data must hold what the shape claims before anything of that size is
  // allocated: a 10^12-element shape over a few bytes of data fails here, cheaply.
  if (proto.data_location() == onnx::TensorProto::EXTERNAL) {
    const std::string data = read_external(proto, model_dir, bytes, what);
    Tensor t(dtype, shape);
    if (bytes > 0) std::memcpy(t.bytes.data(), data.data(), bytes);  // an empty tensor has no buffer
    return t;
  }
  if (proto.has_raw_data()) {
    if (proto.raw_data().size() != bytes)
      fail(what, ": raw data has ", proto.raw_data().size(), " bytes but shape ", shape_str(shape), " of ",
           dtype_name(dtype), " needs ", bytes);
    Tensor t(dtype, shape);
    if (bytes > 0) std::memcpy(t.bytes.data(), proto.raw_data().data(), bytes);
    return t;
  }
  if (static_cast<size_t>(typed_count(proto, dtype)) != n)
    fail(what, ": has ", typed_count(proto, dtype), " values but its shape ", shape_str(shape), " needs ", n);
  Tensor t(dtype, shape);
  switch (dtype) {
    case DType::kFloat32:
      std::copy(proto.float_data().begin(), proto.float_data().end(), t.data<float>());
      break;
    case DType::kFloat64:
      std::copy(proto.double_data().begin(), proto.double_data().end(), t.data<double>());
      break;
    case DType::kInt64:
      std::copy(proto.int64_data().begin(), proto.int64_data().end(), t.data<int64_t>());
      break;
    case DType::kUInt16:
    case DType::kFloat16: {  // stored one per int32 element
      for (size_t i = 0; i < n; ++i) t.data<uint16_t>()[i] = static_cast<uint16_t>(proto.int32_data(static_cast<int>(i)));
      break;
    }
    case DType::kInt32:
    case DType::kInt16:
    case DType::kInt8:
    case DType::kUInt8:
    case DType::kBool: {
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
