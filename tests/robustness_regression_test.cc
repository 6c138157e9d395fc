// Replays every input kept in tests/regression/<target>/ (crashes and broken
// properties the fuzzers found, and hand-made edge cases) through the same
// code the fuzz targets run (fuzz/targets.h). Each must come back as a value
// or an error, never a crash, and keep the properties the targets check; in
// the sanitizer build this also re-checks memory safety.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "../fuzz/targets.h"
#include "support/tflite_testdata.h"

namespace quantlab {
namespace {

namespace fs = std::filesystem;

using FuzzBody = Status (*)(const uint8_t*, size_t);

struct RegressionTarget {
  const char* name;  // directory under tests/regression
  FuzzBody body;
};

constexpr RegressionTarget kTargets[] = {
    {"tflite", fuzz::fuzz_tflite_bytes},
    {"npy", fuzz::fuzz_npy_bytes},
    {"npz", fuzz::fuzz_npz_bytes},
    {"csv", fuzz::fuzz_csv_bytes},
};

std::vector<fs::path> inputs_of(const std::string& target) {
  std::vector<fs::path> files;
  const fs::path dir = fs::path(QL_SOURCE_DIR) / "tests" / "regression" / target;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
    if (it->is_regular_file() && it->path().filename() != "README.md") files.push_back(it->path());
  std::sort(files.begin(), files.end());
  return files;
}

class RobustnessRegression : public ::testing::TestWithParam<RegressionTarget> {};

TEST_P(RobustnessRegression, KeptInputsAreHandled) {
  const std::vector<fs::path> files = inputs_of(GetParam().name);
  // A target whose fuzzing has found nothing yet keeps no inputs (git does
  // not keep empty directories); there is nothing to replay for it.
  if (files.empty()) GTEST_SKIP() << "no kept inputs for " << GetParam().name;
  for (const fs::path& file : files) {
    const std::vector<uint8_t> bytes = test_support::read_bytes(file.string());
    const Status status = GetParam().body(bytes.data(), bytes.size());
    EXPECT_TRUE(status.ok()) << file.filename() << ": " << status.message();
  }
}

INSTANTIATE_TEST_SUITE_P(Targets, RobustnessRegression, ::testing::ValuesIn(kTargets),
                         [](const ::testing::TestParamInfo<RegressionTarget>& info) {
                           return std::string(info.param.name);
                         });

}  // namespace
}  // namespace quantlab
