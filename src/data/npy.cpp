// .npy reading and writing; see npy.hpp.
#include "data/npy.hpp"

#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/file_type.hpp"
#include "octet/error.hpp"
#include "octet/output.hpp"

namespace octet::data {
namespace {

struct DescrName {
  const char* descr;
  DType dtype;
};
constexpr DescrName kDescrs[] = {
    {"<f4", DType::kFloat32}, {"<f8", DType::kFloat64}, {"<f2", DType::kFloat16}, {"|i1", DType::kInt8},
    {"|u1", DType::kUInt8},   {"<i2", DType::kInt16},   {"<u2", DType::kUInt16},  {"<i4", DType::kInt32},
    {"<i8", DType::kInt64},   {"|b1", DType::kBool},
};

// Value of `key` in the header dict, e.g. 'descr': '<f4' -> "'<f4'".
std::string header_field(const std::string& header, const std::string& key, const std::string& origin) {
  const auto k = header.find("'" + key + "'");
  if (k == std::string::npos) fail(origin, ": .npy header has no '", key, "'");
  // numpy's own reader takes the last of two equal keys; a header that says two things is refused.
  if (header.find("'" + key + "'", k + 1) != std::string::npos) fail(origin, ": .npy header gives '", key, "' twice");
  auto colon = header.find(':', k);
  if (colon == std::string::npos) fail(origin, ": malformed .npy header");
  auto start = header.find_first_not_of(' ', colon + 1);
  if (start == std::string::npos) fail(origin, ": malformed .npy header");
  size_t end;
  if (header[start] == '(') end = header.find(')', start) + 1;
  else if (header[start] == '\'') end = header.find('\'', start + 1) + 1;
  else end = header.find_first_of(",}", start);
  if (end == std::string::npos || end == 0) fail(origin, ": malformed .npy header");
  return header.substr(start, end - start);
}

}  // namespace

NpyHeader parse_npy_header(const char* data, size_t size, const std::string& origin) {
  if (size < 10 || std::memcmp(data, "\x93NUMPY", 6) != 0) fail(origin, ": not a .npy file (bad magic)");
  const auto byte = [&](size_t i) { return static_cast<size_t>(static_cast<uint8_t>(data[i])); };
  const int major = static_cast<int>(byte(6));
  size_t header_len, header_start;
  if (major == 1) {
    header_len = byte(8) | (byte(9) << 8);
    header_start = 10;
  } else if (major == 2 || major == 3) {
    if (size < 12) fail(origin, ": truncated .npy header");
    header_len = 0;
    for (int i = 3; i >= 0; --i) header_len = (header_len << 8) | byte(8 + i);
    header_start = 12;
  } else {
    fail(origin, ": unsupported .npy version ", major);
  }
  if (header_start + header_len > size) fail(origin, ": truncated .npy header");
  const std::string header(data + header_start, header_len);
  std::string descr = header_field(header, "descr", origin);
  if (descr.size() < 2 || descr.front() != '\'' || descr.back() != '\'')
    fail(origin, ": .npy 'descr' must be a quoted string, not '", excerpt(descr), "'");
  descr = descr.substr(1, descr.size() - 2);
  DType dtype = DType::kUndefined;
  for (const DescrName& d : kDescrs)
    if (descr == d.descr) dtype = d.dtype;
  // Single-byte types may be written with '<' or '|'.
  if (dtype == DType::kUndefined && descr.size() == 3 && descr[0] == '<')
    for (const DescrName& d : kDescrs)
      if (d.descr[0] == '|' && descr.substr(1) == std::string(d.descr + 1)) dtype = d.dtype;
  if (dtype == DType::kUndefined)
    fail(origin, ": .npy dtype '", excerpt(descr), "' is not supported (little-endian numeric only)");
  if (header_field(header, "fortran_order", origin) != "False") fail(origin, ": Fortran-order .npy arrays are not supported");
  const std::string shape_text = header_field(header, "shape", origin);
  if (shape_text.size() < 2 || shape_text.front() != '(' || shape_text.back() != ')')
    fail(origin, ": .npy 'shape' must be a tuple, not '", excerpt(shape_text), "'");
  Shape shape;
  std::string inner = shape_text.substr(1, shape_text.size() - 2);
  std::stringstream ss(inner);
  std::string part;
  while (std::getline(ss, part, ',')) {
    const auto b = part.find_first_not_of(' ');
    if (b == std::string::npos) continue;
    size_t used = 0;
    int64_t d = -1;
    try { d = std::stoll(part.substr(b), &used); } catch (...) { d = -1; }
    if (d < 0) fail(origin, ": bad .npy shape ", excerpt(shape_text));
    shape.push_back(d);
  }
  const size_t data_start = header_start + header_len;
  // Check the size before anyone allocates or indexes what the header claims.
  long double expected = dtype_size(dtype);
  for (int64_t d : shape) expected *= static_cast<long double>(d);
  if (expected != static_cast<long double>(size - data_start))
    fail(origin, ": .npy header says ", shape_str(shape), " of ", dtype_name(dtype), " (", static_cast<double>(expected),
         " bytes) but the file holds ", size - data_start, " bytes of data");
  return {dtype, shape, data_start};
}

Tensor parse_npy(const std::string& bytes, const std::string& origin) {
  const NpyHeader h = parse_npy_header(bytes.data(), bytes.size(), origin);
  Tensor t(h.dtype, h.shape);
  // An empty array has no buffer, and memcpy to a null pointer is undefined even for 0 bytes.
  if (!t.bytes.empty()) std::memcpy(t.bytes.data(), bytes.data() + h.data_offset, t.bytes.size());
  return t;
}

Tensor read_npy(const std::string& path) {
  return parse_npy(read_regular_file(path), path);
}

std::string encode_npy(const Tensor& tensor) {
  const char* descr = nullptr;
  for (const DescrName& d : kDescrs)
    if (d.dtype == tensor.dtype) descr = d.descr;
  if (!descr) fail("cannot write a ", dtype_name(tensor.dtype), " tensor as .npy");
  std::string shape = "(";
  for (size_t i = 0; i < tensor.shape.size(); ++i) shape += std::to_string(tensor.shape[i]) + (tensor.shape.size() == 1 ? "," : i + 1 < tensor.shape.size() ? ", " : "");
  shape += ")";
  std::string header = cat("{'descr': '", descr, "', 'fortran_order': False, 'shape': ", shape, ", }");
  // Pad so that the data starts on a 64-byte boundary, ending the header with a newline.
  const size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header += '\n';
  std::string out = "\x93NUMPY";
  out += '\x01';
  out += '\x00';
  out += static_cast<char>(header.size() & 0xff);
  out += static_cast<char>((header.size() >> 8) & 0xff);
  out += header;
  out.append(reinterpret_cast<const char*>(tensor.bytes.data()), tensor.bytes.size());
  return out;
}

void write_npy(const std::string& path, const Tensor& tensor) { write_file_atomically(path, encode_npy(tensor)); }

}  // namespace octet::data
