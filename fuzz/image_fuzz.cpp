// Fuzz target: image file bytes -> the folder dataset's decode path (header size check, OpenCV
// decode, preprocessing) exactly as `--data folder/` runs it. The first byte picks the
// preprocessing (gray or color, resize/crop, layout) so that each branch sees odd sizes.
#include "data/datasets.hpp"
#include "fuzz/fuzz_target.hpp"

OCTET_FUZZ_TARGET(image) {
  return run_refusing([&] {
    if (size == 0) return;
    const uint8_t mode = data[0];
    const std::string path = scratch_file("images/sample.png", data + 1, size - 1);
    Preprocess p;
    p.grayscale = mode & 1;
    p.bgr = mode & 2;
    if (mode & 4) p.resize_shorter = 1 + (mode >> 5);  // 1..8: tiny targets, odd aspect ratios
    if (mode & 8) p.crop_height = p.crop_width = 1 + ((mode >> 4) & 3);
    p.layout = (mode & 16) ? Layout::kNHWC : Layout::kNCHW;
    p.scale = 1.0f / 255;
    const std::string folder = path.substr(0, path.rfind('/'));
    const auto dataset = data::make_folder_dataset(folder, "", p);
    for (size_t i = 0; i < dataset->size(); ++i) (void)dataset->sample(i);
  });
}
