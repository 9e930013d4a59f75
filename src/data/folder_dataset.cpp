// A folder of JPEG/PNG images, decoded on demand with OpenCV imgcodecs. Labels come from
// class sub-folders (sorted names -> 0, 1, ...), from an ImageNet-style "PATH LABEL" list
// (which then also fixes the samples and their order), or from a plain label file matched to
// the sorted file list. The order is always deterministic: sorted paths or the list's order.

#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <set>

#include "data/datasets.hpp"
#include "data/image_header.hpp"
#include "data/image_preprocess.hpp"
#include "data/labels.hpp"

namespace octet::data {
namespace {

namespace fs = std::filesystem;

bool is_image_file(const fs::path& p) {
  std::string ext = p.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  static const char* kExts[] = {".jpg", ".jpeg", ".png", ".bmp", ".ppm", ".pgm", ".pbm", ".tif", ".tiff", ".webp"};
  for (const char* e : kExts)
    if (ext == e) return true;
  return false;
}

// Image files under `dir` (recursively), sorted by path so the order never depends on the file
// system. Symlinked folders are followed (a class folder may live elsewhere), but every folder
// and every file is visited once, by device and inode: a link back up the tree ("a/up -> ..")
// is a cycle, and a second way to the same image is the same sample, not another one.
// `seen` spans the whole dataset, so two class folders cannot share images either.
// The caller marks the dataset folder and the class folders seen before the first walk.
using FileId = std::pair<dev_t, ino_t>;
bool id_of(const fs::path& p, FileId& id) {
  struct stat st {};
  if (::stat(p.c_str(), &st) != 0) return false;
  id = {st.st_dev, st.st_ino};
  return true;
}

std::vector<std::string> list_images(const fs::path& dir, std::set<FileId>& seen) {
  std::vector<std::string> files;
  std::vector<fs::path> pending = {dir};
  FileId id;
  while (!pending.empty()) {
    const fs::path folder = pending.back();
    pending.pop_back();
    std::error_code ec;
    for (auto it = fs::directory_iterator(folder, ec); !ec && it != fs::directory_iterator(); it.increment(ec)) {
      std::error_code type_ec;
      const bool is_dir = it->is_directory(type_ec), is_file = !is_dir && it->is_regular_file(type_ec);
      if (!(is_dir || (is_file && is_image_file(it->path()))) || !id_of(it->path(), id)) continue;
      if (!seen.insert(id).second) continue;
      if (is_dir) pending.push_back(it->path());
      else files.push_back(it->path().string());
    }
    if (ec) fail(folder.string(), ": cannot list (", ec.message(), ")");
  }
  std::sort(files.begin(), files.end());
  return files;
}

class FolderDataset : public Dataset {
 public:
  FolderDataset(const std::string& folder, const std::string& labels_path, const Preprocess& preprocess)
      : folder_(folder), preprocess_(preprocess) {
    std::error_code ec;
    if (!fs::is_directory(folder, ec)) fail(folder, ": no such folder");
    check_preprocess(preprocess_, preprocess_.grayscale ? 1 : 3, folder);
    if (!labels_path.empty() && is_label_list(labels_path)) {
      for (auto& [path, label] : read_label_list(labels_path)) {
        files_.push_back((fs::path(folder) / path).string());
        labels_.push_back(label);
      }
      if (files_.empty()) fail(labels_path, ": lists no images");
      return;
    }
    std::vector<fs::path> classes;
    for (const auto& entry : fs::directory_iterator(folder, ec))
      if (entry.is_directory(ec)) classes.push_back(entry.path());
    std::sort(classes.begin(), classes.end());
    std::set<FileId> seen;
    FileId id;
    for (const fs::path& p : classes)
      if (id_of(p, id)) seen.insert(id);
    if (id_of(folder, id)) seen.insert(id);
    if (!classes.empty() && labels_path.empty()) {
      for (size_t c = 0; c < classes.size(); ++c) {
        class_names_.push_back(classes[c].filename().string());
        for (std::string& f : list_images(classes[c], seen)) {
          files_.push_back(std::move(f));
          labels_.push_back(static_cast<int64_t>(c));
        }
      }
    } else {
      files_ = list_images(folder, seen);
    }
    if (files_.empty())
      fail(folder, ": no images found (looked for .jpg, .jpeg, .png, .bmp, .ppm, .pgm, .tif, .webp",
           classes.empty() ? "" : " in the class sub-folders", ")");
    if (!labels_path.empty()) {
      labels_ = read_labels(labels_path);
      if (labels_.size() != files_.size())
        fail(labels_path, ": ", labels_.size(), " labels for ", files_.size(), " images in ", folder);
    }
  }

  size_t size() const override { return files_.size(); }
  bool has_labels() const override { return !labels_.empty(); }
  std::string describe() const override {
    return cat(folder_, " (", files_.size(), " images",
               class_names_.empty() ? "" : cat(", ", class_names_.size(), " classes"), labels_.empty() ? "" : ", labelled", ")");
  }
  std::string sample_name(size_t i) const override { return i < files_.size() ? files_[i] : cat(folder_, "[", i, "]"); }

  Sample sample(size_t i) const override {
    if (i >= files_.size()) fail(describe(), ": sample ", i, " is out of range");
    const std::string& file = files_[i];
    std::error_code ec;
    if (!fs::is_regular_file(file, ec)) throw BadSampleError(cat(file, ": no such image file"));
    cv::Mat image;
    try {
      check_image_header(file);  // a format octet reads, and no more pixels than it allows
    } catch (const Error& e) {
      throw BadSampleError(e.what());
    }
    try {
      image = cv::imread(file, (preprocess_.grayscale ? cv::IMREAD_GRAYSCALE : cv::IMREAD_COLOR) |
                                   // As PIL loads them: EXIF rotation is not applied.
                                   cv::IMREAD_IGNORE_ORIENTATION);
    } catch (const cv::Exception& e) {
      throw BadSampleError(cat(file, ": cannot decode image (", e.what(), ")"));
    }
    if (image.empty()) throw BadSampleError(cat(file, ": cannot decode image (unreadable, corrupt or not an image)"));
    Sample s;
    s.inputs.push_back(preprocess_image(image, preprocess_, file));
    if (!labels_.empty()) s.labels.push_back(labels_[i]);
    return s;
  }

 private:
  std::string folder_;
  Preprocess preprocess_;
  std::vector<std::string> files_;
  std::vector<int64_t> labels_;
  std::vector<std::string> class_names_;
};

}  // namespace

std::shared_ptr<Dataset> make_folder_dataset(const std::string& folder, const std::string& labels_path,
                                             const Preprocess& preprocess) {
  return std::make_shared<FolderDataset>(folder, labels_path, preprocess);
}

}  // namespace octet::data
