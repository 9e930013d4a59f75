// Label file readers; see labels.hpp.
#include "data/labels.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/file_type.hpp"
#include "data/idx.hpp"
#include "data/mapped_file.hpp"
#include "data/npy.hpp"
#include "octet/error.hpp"

namespace octet::data {
namespace {

bool starts_with_npy_magic(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  char magic[6] = {};
  in.read(magic, 6);
  return in.gcount() == 6 && std::string(magic, 6) == "\x93NUMPY";
}

bool parse_int(const std::string& s, int64_t& out) {
  size_t used = 0;
  try { out = std::stoll(s, &used); } catch (...) { return false; }
  return used == s.size();
}

std::vector<int64_t> integers_of(const uint8_t* data, DType dtype, size_t count, const std::string& path) {
  std::vector<int64_t> out(count);
  for (size_t i = 0; i < count; ++i) {
    switch (dtype) {
      case DType::kUInt8: out[i] = data[i]; break;
      case DType::kInt8: out[i] = reinterpret_cast<const int8_t*>(data)[i]; break;
      case DType::kInt16: out[i] = reinterpret_cast<const int16_t*>(data)[i]; break;
      case DType::kUInt16: out[i] = reinterpret_cast<const uint16_t*>(data)[i]; break;
      case DType::kInt32: out[i] = reinterpret_cast<const int32_t*>(data)[i]; break;
      case DType::kInt64: out[i] = reinterpret_cast<const int64_t*>(data)[i]; break;
      default: fail(path, ": labels must be integers, the file holds ", dtype_name(dtype));
    }
  }
  return out;
}

void check_label_shape(const Shape& shape, const std::string& path) {
  if (!(shape.size() == 1 || (shape.size() == 2 && shape[1] == 1)))
    fail(path, ": labels must have shape [N] or [N,1], the file holds ", shape_str(shape));
}

}  // namespace

std::vector<int64_t> read_labels(const std::string& path) {
  require_regular_file(path);
  if (starts_with_npy_magic(path)) {
    MappedFile file(path);
    const NpyHeader h = parse_npy_header(file.data(), file.size(), path);
    check_label_shape(h.shape, path);
    return integers_of(reinterpret_cast<const uint8_t*>(file.data() + h.data_offset), h.dtype,
                       static_cast<size_t>(h.shape[0]), path);
  }
  if (IdxArray::looks_like_idx(path)) {
    auto idx = IdxArray::open(path);
    check_label_shape(idx->shape(), path);
    return integers_of(idx->record(0), idx->dtype(), static_cast<size_t>(idx->shape()[0]), path);
  }
  std::ifstream in(path);
  std::vector<int64_t> out;
  std::string line;
  for (size_t number = 1; std::getline(in, line); ++number) {
    std::istringstream fields(line);
    std::string first, extra;
    if (!(fields >> first) || first[0] == '#') continue;
    int64_t v = 0;
    if ((fields >> extra) || !parse_int(first, v))
      fail(path, ":", number, ": want one integer label per line, got '", line, "'");
    out.push_back(v);
  }
  return out;
}

bool is_label_list(const std::string& path) {
  require_regular_file(path);  // before opening: a FIFO would block
  if (starts_with_npy_magic(path) || IdxArray::looks_like_idx(path)) return false;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string a, b;
    if (!(fields >> a) || a[0] == '#') continue;
    return static_cast<bool>(fields >> b);
  }
  return false;
}

std::vector<std::pair<std::string, int64_t>> read_label_list(const std::string& path) {
  std::ifstream in(path);
  if (!in) fail(path, ": cannot open labels file");
  std::vector<std::pair<std::string, int64_t>> out;
  std::string line;
  for (size_t number = 1; std::getline(in, line); ++number) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const auto b = line.find_first_not_of(" \t");
    if (b == std::string::npos || line[b] == '#') continue;
    // The label is the last field, so paths may contain spaces.
    const auto e = line.find_last_not_of(" \t");
    const auto sep = line.find_last_of(" \t", e);
    int64_t v = 0;
    if (sep == std::string::npos || sep < b || !parse_int(line.substr(sep + 1, e - sep), v))
      fail(path, ":", number, ": want 'PATH LABEL', got '", line, "'");
    const auto path_end = line.find_last_not_of(" \t", sep);
    out.emplace_back(line.substr(b, path_end - b + 1), v);
  }
  return out;
}

}  // namespace octet::data
