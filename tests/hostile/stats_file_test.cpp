// A statistics file whose histogram bin count was damaged (or forged with a matching model and
// data hash) must not size an allocation: the counts stored in the file bound it.
#include <gtest/gtest.h>

#include <cstring>
#include <fstream>

#include "fixtures/temp_dir.hpp"
#include "octet/error.hpp"
#include "quant/statistics/stats_file.hpp"

namespace octet::quant {
namespace {

TEST(HostileStatsFile, DamagedHistogramBinCountIsRefusedBeforeAllocating) {
  testing::ScopedTempDir dir("octet-hostile-stats");
  const std::string file = dir.path("stats.bin");
  StatNeeds needs;
  needs.histogram_bins = 8;
  StatsMap stats;
  stats.emplace("a", TensorStats("a", needs));
  Tensor t(DType::kFloat32, {4});
  for (int i = 0; i < 4; ++i) t.data<float>()[i] = static_cast<float>(i);
  stats.at("a").observe(t);
  write_stats_file(file, {1, 2}, stats);

  // Layout up to the bin count: magic (8 + 12), version 4, hashes 16, count 8, name (8 + 1),
  // shape (8 + 8), min_max 1, quantiles 8, abs_quantiles 8.
  std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
  f.seekg(90);
  int32_t bins = 0;
  f.read(reinterpret_cast<char*>(&bins), 4);
  ASSERT_EQ(bins, 8) << "the file layout changed; update the offset";
  bins = 1 << 30;  // 8 GB of double counts if trusted
  f.seekp(90);
  f.write(reinterpret_cast<const char*>(&bins), 4);
  f.close();

  StatisticsRequest request;
  request.add("a", needs);
  StatsMap back;
  std::string why;
  try {
    read_stats_file(file, {1, 2}, request, back, why);
    FAIL() << "the damaged file was accepted";
  } catch (const Error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find(file), std::string::npos) << what;
    EXPECT_NE(what.find("8 histogram counts for 1073741824 bins"), std::string::npos) << what;
  }
}

}  // namespace
}  // namespace octet::quant
