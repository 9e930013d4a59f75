// open_dataset(): turns a spec string into a dataset. The one place that knows the spec
// grammar and the built-in fashion-mnist name (Debian's dataset-fashion-mnist files).
#include <filesystem>
#include <fstream>

#include "core/file_type.hpp"
#include "data/datasets.hpp"
#include "data/idx.hpp"

namespace octet {
namespace {

namespace fs = std::filesystem;

constexpr const char* kFashionMnistDir = "/usr/share/datasets/fashion-mnist";

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

bool is_npy(const std::string& path) {
  if (ends_with(path, ".npy")) return true;
  std::ifstream in(path, std::ios::binary);
  char magic[6] = {};
  in.read(magic, 6);
  return in.gcount() == 6 && std::string(magic, 6) == "\x93NUMPY";
}

// "a.npy" -> {"", a.npy}; "x=a.npy,mask=b.npy" -> {x, a.npy}, {mask, b.npy}.
std::vector<std::pair<std::string, std::string>> npy_list(const std::string& spec) {
  std::vector<std::pair<std::string, std::string>> out;
  size_t start = 0;
  while (start <= spec.size()) {
    size_t comma = spec.find(',', start);
    if (comma == std::string::npos) comma = spec.size();
    const std::string item = spec.substr(start, comma - start);
    const auto eq = item.find('=');
    if (item.empty()) fail("dataset '", spec, "': empty entry in the list");
    if (eq == std::string::npos) out.emplace_back("", item);
    else out.emplace_back(item.substr(0, eq), item.substr(eq + 1));
    start = comma + 1;
  }
  return out;
}

std::shared_ptr<Dataset> fashion_mnist(const std::string& spec, const std::string& labels,
                                       const std::optional<Preprocess>& preprocess) {
  std::string split = "test";
  if (const auto colon = spec.find(':'); colon != std::string::npos) split = spec.substr(colon + 1);
  if (split != "test" && split != "train")
    fail("dataset '", spec, "': fashion-mnist has the splits 'train' and 'test', not '", split, "'");
  const std::string prefix = cat(kFashionMnistDir, "/", split == "test" ? "t10k" : "train");
  const std::string images = prefix + "-images-idx3-ubyte.gz";
  std::error_code ec;
  if (!fs::is_regular_file(images, ec))
    fail("dataset '", spec, "': ", images, " not found (install Debian's dataset-fashion-mnist package)");
  // Without other instructions, the 0..255 pixels become 0..1, as torchvision's ToTensor does.
  Preprocess p;
  p.scale = 1.0f / 255.0f;
  return data::make_idx_dataset(images, labels.empty() ? prefix + "-labels-idx1-ubyte.gz" : labels,
                                preprocess.value_or(p), "fashion-mnist:" + split);
}

bool is_fashion_mnist(const std::string& spec) { return spec == "fashion-mnist" || spec.rfind("fashion-mnist:", 0) == 0; }

// NAME=FILE.npy,...: a comma, or an '=' in what is not itself a file's name.
bool is_npy_list(const std::string& spec, const fs::path& base = {}) {
  std::error_code ec;
  return spec.find(',') != std::string::npos || (spec.find('=') != std::string::npos && !fs::exists(base / spec, ec));
}

}  // namespace

std::vector<std::string> dataset_files(const std::string& spec) {
  if (spec.empty() || is_fashion_mnist(spec)) return {};
  if (!is_npy_list(spec)) return {spec};
  std::vector<std::string> files;
  for (const auto& [name, file] : npy_list(spec)) files.push_back(file);
  return files;
}

std::string resolve_dataset_spec(const std::string& spec, const std::string& base_dir) {
  if (spec.empty() || base_dir.empty() || is_fashion_mnist(spec)) return spec;
  auto resolve = [&](const std::string& p) { return fs::path(p).is_absolute() ? p : (fs::path(base_dir) / p).string(); };
  if (!is_npy_list(spec, base_dir)) return resolve(spec);
  std::string out;
  for (const auto& [name, file] : npy_list(spec)) out += cat(out.empty() ? "" : ",", name.empty() ? "" : name + "=", resolve(file));
  return out;
}

std::shared_ptr<Dataset> open_dataset(const std::string& spec, const std::string& labels,
                                      const std::optional<Preprocess>& preprocess) {
  if (spec.empty()) fail("no dataset given (want fashion-mnist, FILE.npy, an IDX file or a folder of images)");
  if (is_fashion_mnist(spec)) return fashion_mnist(spec, labels, preprocess);
  std::error_code ec;
  if (is_npy_list(spec)) return data::make_npy_dataset(npy_list(spec), labels);
  if (fs::is_directory(spec, ec)) return data::make_folder_dataset(spec, labels, preprocess.value_or(Preprocess{}));
  if (!fs::exists(spec, ec)) fail(spec, ": no such file or folder");
  require_regular_file(spec);  // before anything opens it: a FIFO would block
  if (is_npy(spec)) return data::make_npy_dataset({{"", spec}}, labels);
  if (data::IdxArray::looks_like_idx(spec)) return data::make_idx_dataset(spec, labels, preprocess.value_or(Preprocess{}), "");
  fail(spec, ": not a dataset this version reads (want fashion-mnist[:train|:test], FILE.npy, NAME=FILE.npy,..., "
       "an IDX file or a folder of images)");
}

}  // namespace octet
