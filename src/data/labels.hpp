// Label files: a .npy of integers, an IDX labels file (plain or .gz), or text with one label
// per line. ImageNet-style "PATH LABEL" lists are read by the image-folder dataset, which
// takes its sample list from them.
#pragma once
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace octet::data {

// Integer labels, one per sample. Throws Error naming the file for a non-integer dtype, a
// shape other than [N] or [N,1], or a line that is not an integer (with its line number).
std::vector<int64_t> read_labels(const std::string& path);

// "PATH LABEL" lines (blank lines and '#' comments skipped). Throws naming file and line.
std::vector<std::pair<std::string, int64_t>> read_label_list(const std::string& path);

// True if the text file's first non-blank line has two fields ("PATH LABEL").
bool is_label_list(const std::string& path);

}  // namespace octet::data
