// One macro that turns a fuzz body into two things: a plain function octet::fuzz::NAME, which
// the GoogleTest suite calls to replay committed crash inputs (tests/fuzz/), and, when built
// with OCTET_FUZZ_MAIN (fuzz/CMakeLists.txt), libFuzzer's entry point. The body throws
// octet::Error for input it rightly refuses; anything else that escapes is a finding.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

#include "octet/error.hpp"

namespace octet::fuzz {

// Runs `body` and swallows octet::Error: a refusal with a message is the correct outcome for
// hostile input. Other exceptions (std::out_of_range, bad_alloc...) propagate and fail.
template <class Body>
int run_refusing(Body&& body) {
  try {
    body();
  } catch (const octet::Error&) {
  }
  return 0;
}

// Writes `bytes` to a file named `name` in a scratch folder private to this process (the
// IDX and image readers take paths); returns its path.
std::string scratch_file(const std::string& name, const uint8_t* data, size_t size);

}  // namespace octet::fuzz

#ifdef OCTET_FUZZ_MAIN
#define OCTET_FUZZ_ENTRY(NAME)                                                   \
  extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {      \
    return octet::fuzz::NAME(data, size);                                        \
  }
#else
#define OCTET_FUZZ_ENTRY(NAME)
#endif

// OCTET_FUZZ_TARGET(npy) { ...uses data, size... }
#define OCTET_FUZZ_TARGET(NAME)                                                  \
  namespace octet::fuzz {                                                        \
  int NAME(const uint8_t* data, size_t size);                                    \
  }                                                                              \
  OCTET_FUZZ_ENTRY(NAME)                                                         \
  int octet::fuzz::NAME(const uint8_t* data, size_t size)
