// Replays every input kept in tests/regression/study/ (what fuzzing the
// study configuration parser found, and hand-made edge cases) through the
// fuzz target's body (fuzz/study_target.h): each must come back as a
// configuration or an error, never an exception or a crash, and an accepted
// configuration must survive its JSON round trip. It lives in the torch test
// executable because the study library links libtorch.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "../fuzz/study_target.h"
#include "support/tflite_testdata.h"

namespace quantlab {
namespace {

namespace fs = std::filesystem;

std::vector<fs::path> kept_study_inputs() {
  std::vector<fs::path> files;
  const fs::path dir = fs::path(QL_SOURCE_DIR) / "tests" / "regression" / "study";
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
    if (it->is_regular_file()) files.push_back(it->path());
  std::sort(files.begin(), files.end());
  return files;
}

std::string kept_text(const std::string& name) {
  const std::vector<uint8_t> bytes =
      test_support::read_bytes((fs::path(QL_SOURCE_DIR) / "tests" / "regression" / "study" / name).string());
  return std::string(bytes.begin(), bytes.end());
}

TEST(StudyConfigRegression, KeptInputsAreHandled) {
  const std::vector<fs::path> files = kept_study_inputs();
  ASSERT_FALSE(files.empty()) << "tests/regression/study holds the hand-made edge cases at least";
  for (const fs::path& file : files) {
    const std::vector<uint8_t> bytes = test_support::read_bytes(file.string());
    const Status status = fuzz::fuzz_study_config_bytes(bytes.data(), bytes.size());
    EXPECT_TRUE(status.ok()) << file.filename() << ": " << status.message();
  }
}

// The hand-made edge cases are all invalid configurations: each is refused
// with one line that starts with the source's name, as a CLI error must.
TEST(StudyConfigRegression, EdgeCasesAreRefusedWithTheSourceNamed) {
  for (const char* name : {"deep_nesting.json", "duplicate_keys.json", "huge_exponent_learning_rate.json",
                           "integer_past_int64.json", "invalid_utf8_name.json", "nul_in_name_and_key.json"}) {
    auto config = study::parse_study_config(kept_text(name), "edge.json");
    ASSERT_FALSE(config.ok()) << name;
    const std::string& message = config.status().message();
    EXPECT_EQ(message.rfind("edge.json: ", 0), 0u) << name << ": " << message;
    EXPECT_EQ(message.find('\n'), std::string::npos) << name << ": " << message;
  }
}

// 10,000 nested brackets are refused by the depth check before the JSON
// parser recurses into them; 1e999 does not fit a double and is refused
// rather than read as infinity (which JSON cannot write back).
TEST(StudyConfigRegression, DepthAndOverflowAreNamed) {
  auto deep = study::parse_study_config(kept_text("deep_nesting.json"), "edge.json");
  ASSERT_FALSE(deep.ok());
  EXPECT_NE(deep.status().message().find("nested more than"), std::string::npos) << deep.status().message();
  auto huge = study::parse_study_config(kept_text("huge_exponent_learning_rate.json"), "edge.json");
  ASSERT_FALSE(huge.ok());
  EXPECT_NE(huge.status().message().find("1e999"), std::string::npos) << huge.status().message();
}

}  // namespace
}  // namespace quantlab
