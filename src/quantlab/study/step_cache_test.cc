#include "quantlab/study/step_cache.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "quantlab/core/file_io.h"

namespace quantlab::study {
namespace {

namespace fs = std::filesystem;

TEST(StepCacheKey, DependsOnContentNotOnInsertionOrder) {
  nlohmann::json a = nlohmann::json::object();
  a["step"] = "train";
  a["epochs"] = 3;
  nlohmann::json b = nlohmann::json::object();
  b["epochs"] = 3;
  b["step"] = "train";
  EXPECT_EQ(content_key(a), content_key(b));
  EXPECT_EQ(content_key(a).size(), 32u);
  b["epochs"] = 4;
  EXPECT_NE(content_key(a), content_key(b));
  // A float that differs in the last bit is a different configuration.
  nlohmann::json c = {{"lr", 0.1}}, d = {{"lr", std::nextafter(0.1, 1.0)}};
  EXPECT_NE(content_key(c), content_key(d));
}

class StepCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("quantlab_step_cache_" + std::to_string(::getpid()));
    fs::remove_all(root_);
  }
  void TearDown() override { fs::remove_all(root_); }
  fs::path root_;
};

TEST_F(StepCacheTest, OnlyACompleteRecordCounts) {
  const StepCache cache((root_ / "cache").string());
  const std::string key = "k1";
  EXPECT_FALSE(cache.load(key).has_value());  // nothing yet

  ASSERT_TRUE(write_file_atomic(cache.file(key, "model.tflite"), std::string("model bytes")).ok());
  const nlohmann::json record = {{"key", key},
                                 {"files", {"model.tflite"}},
                                 {"published", nlohmann::json::array({{"model.tflite", "models/a/b.tflite"}})}};
  EXPECT_FALSE(cache.load(key).has_value());  // artefact without a record: unfinished
  ASSERT_TRUE(cache.complete(key, record).ok());
  ASSERT_TRUE(cache.load(key).has_value());
  EXPECT_EQ(*cache.load(key), record);

  // A record of another key, a truncated record, or a missing artefact do not count.
  ASSERT_TRUE(cache.complete("k2", record).ok());
  EXPECT_FALSE(cache.load("k2").has_value());
  const std::string text = record.dump();
  ASSERT_TRUE(write_file_atomic(cache.file(key, "done.json"), text.substr(0, text.size() / 2)).ok());
  EXPECT_FALSE(cache.load(key).has_value());
  ASSERT_TRUE(cache.complete(key, record).ok());
  fs::remove(cache.file(key, "model.tflite"));
  EXPECT_FALSE(cache.load(key).has_value());
}

TEST_F(StepCacheTest, PublishCopiesTheArtefactAndIsIdempotent) {
  const StepCache cache((root_ / "cache").string());
  ASSERT_TRUE(write_file_atomic(cache.file("k", "a.txt"), std::string("first\n")).ok());
  const std::string destination = (root_ / "models" / "x" / "a.txt").string();
  ASSERT_TRUE(cache.publish("k", "a.txt", destination).ok());
  auto text = read_text_file(destination);
  ASSERT_TRUE(text.ok());
  EXPECT_EQ(*text, "first\n");
  ASSERT_TRUE(cache.publish("k", "a.txt", destination).ok());
  EXPECT_EQ(*read_text_file(destination), "first\n");
  // A different file in its place is replaced.
  fs::remove(destination);
  ASSERT_TRUE(write_file_atomic(destination, std::string("stale")).ok());
  ASSERT_TRUE(cache.publish("k", "a.txt", destination).ok());
  EXPECT_EQ(*read_text_file(destination), "first\n");
  EXPECT_FALSE(cache.publish("k", "missing.txt", destination).ok());
}

}  // namespace
}  // namespace quantlab::study
