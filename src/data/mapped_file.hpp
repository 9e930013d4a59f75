// A read-only file mapped into memory: large .npy and IDX datasets are read in place, page by
// page as samples are asked for, never copied whole and never read twice.
#pragma once
#include <cstddef>
#include <string>

namespace octet::data {

class MappedFile {
 public:
  // Maps `path`; throws Error naming it when it is missing or cannot be mapped.
  explicit MappedFile(const std::string& path);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  const char* data() const { return data_; }
  size_t size() const { return size_; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  const char* data_ = nullptr;
  size_t size_ = 0;
};

}  // namespace octet::data
