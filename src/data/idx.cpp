// IDX reading; see idx.hpp. Used by the IDX datasets and the built-in fashion-mnist name.
#include "data/idx.hpp"

#include <zlib.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "core/file_type.hpp"
#include "core/limits.hpp"
#include "octet/error.hpp"

namespace octet::data {
namespace {

bool is_gzip(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  unsigned char magic[2] = {0, 0};
  in.read(reinterpret_cast<char*>(magic), 2);
  return in.gcount() == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
}

std::string inflate_file(const std::string& path, size_t limit) {
  gzFile f = gzopen(path.c_str(), "rb");
  if (!f) fail(path, ": cannot open");
  std::string out;
  char buf[1 << 16];
  for (;;) {
    const int n = gzread(f, buf, sizeof buf);
    if (n < 0) {
      int code = 0;
      const std::string msg = gzerror(f, &code);
      gzclose(f);
      fail(path, ": corrupt gzip data (", msg, ")");
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
    if (out.size() >= limit) break;
  }
  // gzread returns 0 at a truncated end too; gzclose reports that as an error only sometimes,
  // so the size check against the header below is what catches truncation.
  gzclose(f);
  return out;
}

struct IdxType {
  uint8_t code;
  DType dtype;
};
constexpr IdxType kTypes[] = {{0x08, DType::kUInt8}, {0x09, DType::kInt8}, {0x0B, DType::kInt16},
                              {0x0C, DType::kInt32}, {0x0D, DType::kFloat32}, {0x0E, DType::kFloat64}};

// Parses the header at `p` (size bytes); returns the header length.
size_t parse_header(const uint8_t* p, size_t size, const std::string& path, DType& dtype, Shape& shape) {
  if (size < 4 || p[0] != 0 || p[1] != 0) fail(path, ": not an IDX file (bad magic)");
  dtype = DType::kUndefined;
  for (const IdxType& t : kTypes)
    if (p[2] == t.code) dtype = t.dtype;
  if (dtype == DType::kUndefined) fail(path, ": IDX element type 0x", std::hex, int(p[2]), " is not known");
  const size_t rank = p[3];
  if (rank == 0) fail(path, ": IDX file with no dimensions");
  if (size < 4 + 4 * rank) fail(path, ": truncated IDX header");
  shape.clear();
  for (size_t d = 0; d < rank; ++d) {
    const uint8_t* q = p + 4 + 4 * d;
    shape.push_back((int64_t(q[0]) << 24) | (int64_t(q[1]) << 16) | (int64_t(q[2]) << 8) | int64_t(q[3]));
  }
  return 4 + 4 * rank;
}

}  // namespace

bool IdxArray::looks_like_idx(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) return false;
  std::string head;
  if (is_gzip(path)) {
    head = inflate_file(path, 4);
  } else {
    std::ifstream in(path, std::ios::binary);
    head.resize(4);
    in.read(head.data(), 4);
    head.resize(static_cast<size_t>(in.gcount()));
  }
  if (head.size() < 4 || head[0] != 0 || head[1] != 0 || head[3] == 0) return false;
  for (const IdxType& t : kTypes)
    if (static_cast<uint8_t>(head[2]) == t.code) return true;
  return false;
}

std::shared_ptr<const IdxArray> IdxArray::open(const std::string& path) {
  require_regular_file(path);
  std::error_code ec;
  auto a = std::make_shared<IdxArray>();
  a->path_ = path;
  const uint8_t* bytes;
  size_t size;
  if (is_gzip(path)) {
    // Inflate the header alone first: its declared size bounds what is inflated next, so
    // neither a header claiming 10^12 bytes nor a gzip bomb is decompressed into memory.
    const std::string head = inflate_file(path, 4 + 4 * 255);
    DType dtype;
    Shape shape;
    const size_t header = parse_header(reinterpret_cast<const uint8_t*>(head.data()), head.size(), path, dtype, shape);
    check_tensor_size(shape, dtype, cat(path, ": IDX header"));
    const auto declared = static_cast<size_t>(tensor_bytes_checked(shape, dtype));
    // deflate cannot expand data by more than about 1032:1.
    const auto packed = static_cast<size_t>(std::filesystem::file_size(path, ec));
    if (!ec && declared > packed * 1032 + 4096)
      fail(path, ": IDX header says ", shape_str(shape), " of ", dtype_name(dtype), " (", declared,
           " bytes), more than a gzip file of ", packed, " bytes can hold (truncated?)");
    a->owned_ = inflate_file(path, header + declared + 1);
    if (a->owned_.size() > header + declared)
      fail(path, ": gzip data inflates to more than its IDX header says (", shape_str(shape), " of ",
           dtype_name(dtype), ", ", declared, " bytes); stopped there");
    bytes = reinterpret_cast<const uint8_t*>(a->owned_.data());
    size = a->owned_.size();
  } else {
    a->mapped_ = std::make_unique<MappedFile>(path);
    bytes = reinterpret_cast<const uint8_t*>(a->mapped_->data());
    size = a->mapped_->size();
  }
  const size_t header = parse_header(bytes, size, path, a->dtype_, a->shape_);
  check_tensor_size(a->shape_, a->dtype_, cat(path, ": IDX header"));
  const size_t elem = dtype_size(a->dtype_);
  long double expected = elem;
  for (int64_t d : a->shape_) expected *= static_cast<long double>(d);
  if (expected != static_cast<long double>(size - header))
    fail(path, ": IDX header says ", shape_str(a->shape_), " of ", dtype_name(a->dtype_), " (",
         static_cast<double>(expected), " bytes) but the file holds ", size - header, " bytes of data",
         expected > static_cast<long double>(size - header) ? " (truncated?)" : "");
  a->record_bytes_ = elem;
  for (size_t d = 1; d < a->shape_.size(); ++d) a->record_bytes_ *= static_cast<size_t>(a->shape_[d]);
  if (elem == 1) {
    a->data_ = bytes + header;
    return a;
  }
  // Multi-byte types are stored big-endian: swap into an owned, host-order copy.
  std::string host(reinterpret_cast<const char*>(bytes + header), size - header);
  for (size_t i = 0; i + elem <= host.size(); i += elem) std::reverse(host.begin() + i, host.begin() + i + elem);
  a->owned_ = std::move(host);
  a->mapped_.reset();
  a->data_ = reinterpret_cast<const uint8_t*>(a->owned_.data());
  return a;
}

}  // namespace octet::data
