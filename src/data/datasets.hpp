// The dataset kinds behind open_dataset(); internal, the public face is octet::Dataset.
#pragma once
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "octet/data.hpp"

namespace octet::data {

// One .npy per model input (name "" = positional), N on axis 0; fed as is.
std::shared_ptr<Dataset> make_npy_dataset(const std::vector<std::pair<std::string, std::string>>& inputs,
                                          const std::string& labels_path);

// IDX images (uint8 [N,H,W] or [N,H,W,C]) through `preprocess`, or any other IDX array fed as
// is. `labels` given directly (fashion-mnist) or read from `labels_path`.
std::shared_ptr<Dataset> make_idx_dataset(const std::string& images_path, const std::string& labels_path,
                                          const Preprocess& preprocess, const std::string& display_name);

// JPEG/PNG files under `folder`: class sub-folders, or a flat folder, or the list in an
// ImageNet-style "PATH LABEL" file.
std::shared_ptr<Dataset> make_folder_dataset(const std::string& folder, const std::string& labels_path,
                                             const Preprocess& preprocess);

}  // namespace octet::data
