// libFuzzer entry point for the npy target; the body is fuzz_npy_bytes in
// targets.h. A broken property (not a crash) aborts so libFuzzer keeps the input.
#include <cstdio>
#include <cstdlib>

#include "targets.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const quantlab::Status status = quantlab::fuzz::fuzz_npy_bytes(data, size);
  if (!status.ok()) {
    std::fprintf(stderr, "fuzz_npy: %s\n", status.message().c_str());
    std::abort();
  }
  return 0;
}
