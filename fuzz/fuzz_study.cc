// libFuzzer entry point for the study configuration target; the body is
// fuzz_study_config_bytes in study_target.h. A broken property (not a crash)
// aborts so libFuzzer keeps the input.
#include <cstdio>
#include <cstdlib>

#include "study_target.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const quantlab::Status status = quantlab::fuzz::fuzz_study_config_bytes(data, size);
  if (!status.ok()) {
    std::fprintf(stderr, "fuzz_study: %s\n", status.message().c_str());
    std::abort();
  }
  return 0;
}
