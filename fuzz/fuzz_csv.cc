// libFuzzer entry point for the csv target; the body is fuzz_csv_bytes in
// targets.h. A broken property (not a crash) aborts so libFuzzer keeps the input.
#include <cstdio>
#include <cstdlib>

#include "targets.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const quantlab::Status status = quantlab::fuzz::fuzz_csv_bytes(data, size);
  if (!status.ok()) {
    std::fprintf(stderr, "fuzz_csv: %s\n", status.message().c_str());
    std::abort();
  }
  return 0;
}
