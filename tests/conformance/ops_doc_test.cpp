// docs/ops.md is the output of `octet ops --markdown`: this test runs the real binary and
// fails when the page and the kernel table disagree, so the coverage page cannot drift.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

namespace {

std::string run_command(const std::string& command, int* status) {
  std::string out;
  FILE* pipe = popen(command.c_str(), "r");
  if (!pipe) return out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), pipe)) > 0) out.append(buf, n);
  *status = pclose(pipe);
  return out;
}

TEST(OpsDoc, MatchesTheBinary) {
  int status = -1;
  const std::string generated = run_command(std::string(OCTET_CLI) + " ops --markdown", &status);
  ASSERT_EQ(status, 0) << "octet ops --markdown failed";
  std::ifstream in(std::string(OCTET_SOURCE_DIR) + "/docs/ops.md");
  ASSERT_TRUE(in) << "docs/ops.md is missing; generate it with: build/octet ops --markdown > docs/ops.md";
  std::stringstream doc;
  doc << in.rdbuf();
  EXPECT_EQ(doc.str(), generated) << "docs/ops.md is stale; regenerate it with: build/octet ops --markdown > docs/ops.md";
}

TEST(OpsDoc, ListsEveryOpOnce) {
  int status = -1;
  const std::string plain = run_command(std::string(OCTET_CLI) + " ops", &status);
  ASSERT_EQ(status, 0);
  // Every standard op of ops.def is supported by some kernel (the reference at least).
  EXPECT_EQ(plain.find("unsupported"), std::string::npos) << plain;
  EXPECT_NE(plain.find("Conv "), std::string::npos);
  EXPECT_NE(plain.find("ref_conv"), std::string::npos);
}

}  // namespace
