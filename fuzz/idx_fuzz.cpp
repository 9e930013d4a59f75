// Fuzz target: IDX bytes (plain, or gzip when they start with its magic) -> IdxArray::open via
// a scratch file, then every record is read. IDX files are what the fashion-mnist and
// `--data file.idx` datasets read.
#include "data/idx.hpp"
#include "fuzz/fuzz_target.hpp"

OCTET_FUZZ_TARGET(idx) {
  return run_refusing([&] {
    const std::string path = scratch_file("input.idx", data, size);
    if (!data::IdxArray::looks_like_idx(path)) return;
    const auto array = data::IdxArray::open(path);
    // Touch every byte the accessors promise, so ASan sees any overread.
    unsigned sum = 0;
    const size_t records = array->shape().empty() ? 0 : static_cast<size_t>(array->shape()[0]);
    for (size_t i = 0; i < records; ++i)
      for (size_t b = 0; b < array->record_bytes(); ++b) sum += array->record(i)[b];
    volatile unsigned sink = sum;
    (void)sink;
  });
}
