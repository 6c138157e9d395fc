// `quantlab study` end to end: a tiny configuration through the CLI, the
// report re-rendering, the printed built-in configuration, error paths, and
// crash safety: the study is killed (SIGKILL) once some steps are complete,
// every output under its final name must then be complete, and the rerun
// must take the completed steps from the cache and finish the rest.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "quantlab/core/file_io.h"
#include "quantlab/study/config.h"
#include "quantlab/tflite/reader.h"
#include "support/cli_runner.h"

namespace quantlab {
namespace {

namespace fs = std::filesystem;
using test_support::run_cli;

constexpr const char* kTinyConfig = R"({
  "name": "tiny-cli", "seed": 5,
  "datasets": [{"name": "har", "kind": "har", "samples": 150, "subjects": 6}],
  "models": [{"family": "SmartWatch", "size": "lean", "arch": "smartwatch-lean", "dataset": "har",
              "width_scale": 1.0, "sparsity": 0.5}],
  "training": {"epochs": 1, "batch_size": 32, "patience": 0},
  "pruning": {"ramp_epochs": 1, "fine_tune_epochs": 1},
  "factorization": {"rank": 2, "fine_tune_epochs": 1},
  "qat": {"epochs": 1},
  "calibration_samples": 16,
  "debug_samples": 4
})";
constexpr int kTinySteps = 36;  // train, prune, factorize, 3 QAT, 30 pipelines

class StudyCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("quantlab_study_cli_" + std::to_string(::getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    config_ = (dir_ / "tiny.json").string();
    ASSERT_TRUE(write_file_atomic(config_, std::string(kTinyConfig)).ok());
    out_ = (dir_ / "out").string();
  }
  void TearDown() override { fs::remove_all(dir_); }

  fs::path dir_;
  std::string config_, out_;
};

int completed_steps(const fs::path& cache) {
  int count = 0;
  std::error_code ec;
  for (fs::directory_iterator it(cache, ec), end; !ec && it != end; it.increment(ec))
    count += fs::is_regular_file(it->path() / "done.json", ec) ? 1 : 0;
  return count;
}

bool is_temporary(const fs::path& p) { return p.filename().string().find(".tmp-") != std::string::npos; }

// Every file under its final name is complete: JSON parses, models read,
// text files end with a newline or the page's closing tag.
void expect_complete_outputs(const fs::path& out) {
  int checked = 0;
  for (auto it = fs::recursive_directory_iterator(out); it != fs::recursive_directory_iterator(); ++it) {
    if (!it->is_regular_file() || is_temporary(it->path())) continue;
    const std::string path = it->path().string();
    const std::string ext = it->path().extension().string();
    auto bytes = read_file(path);
    ASSERT_TRUE(bytes.ok()) << path;
    const std::string text(bytes->begin(), bytes->end());
    if (ext == ".json") {
      EXPECT_FALSE(nlohmann::json::parse(text, nullptr, false).is_discarded()) << path;
    } else if (ext == ".tflite") {
      EXPECT_TRUE(read_tflite_file(path).ok()) << path;
    } else if (ext == ".html") {
      EXPECT_NE(text.find("</html>"), std::string::npos) << path;
    } else if (ext == ".csv" || ext == ".md") {
      EXPECT_FALSE(text.empty()) << path;
      EXPECT_EQ(text.back(), '\n') << path;
    }
    ++checked;
  }
  EXPECT_GT(checked, 0);
}

TEST_F(StudyCliTest, RunsATinyStudyAndRerendersItsReport) {
  const auto first = run_cli({"study", "--config", config_, "--out", out_, "--jobs", "2", "--quiet"});
  ASSERT_EQ(first.exit_code, 0) << first.out << first.err;
  EXPECT_NE(first.out.find("30 pipelines"), std::string::npos) << first.out;
  EXPECT_NE(first.out.find("36 run, 0 cached, 0 failed of 36"), std::string::npos) << first.out;
  EXPECT_NE(first.out.find("report: " + out_ + "/report.html"), std::string::npos) << first.out;
  EXPECT_TRUE(first.err.empty()) << first.err;  // --quiet
  for (const char* name : {"results.json", "results.csv", "report.md", "report.html", "study.json"})
    EXPECT_TRUE(fs::is_regular_file(fs::path(out_) / name)) << name;
  expect_complete_outputs(out_);

  // study.json is the resolved configuration and parses back.
  auto resolved = read_text_file((fs::path(out_) / "study.json").string());
  ASSERT_TRUE(resolved.ok());
  EXPECT_TRUE(study::parse_study_config(*resolved, "study.json").ok());

  fs::remove(fs::path(out_) / "report.md");
  fs::remove(fs::path(out_) / "report.html");
  const auto report = run_cli({"study", "report", out_});
  ASSERT_EQ(report.exit_code, 0) << report.err;
  EXPECT_TRUE(fs::is_regular_file(fs::path(out_) / "report.md"));
  EXPECT_TRUE(fs::is_regular_file(fs::path(out_) / "report.html"));

  const auto again = run_cli({"study", "--config", config_, "--out", out_, "--quiet"});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(again.out.find("0 run, 36 cached, 0 failed of 36"), std::string::npos) << again.out;
}

TEST_F(StudyCliTest, PrintsTheBuiltinConfiguration) {
  const auto printed = run_cli({"study", "config", "--profile", "quick"});
  ASSERT_EQ(printed.exit_code, 0) << printed.err;
  auto parsed = study::parse_study_config(printed.out, "printed");
  ASSERT_TRUE(parsed.ok()) << parsed.status().message();
  EXPECT_EQ(parsed->models.size(), 6u);
  EXPECT_EQ(parsed->profile, "quick");
  const auto full = run_cli({"study", "config", "--profile", "full"});
  ASSERT_EQ(full.exit_code, 0);
  EXPECT_NE(full.out.find("\"profile\": \"full\""), std::string::npos);
}

TEST_F(StudyCliTest, ConfigErrorsAreOneLineNamingTheFile) {
  const std::string missing = (dir_ / "missing.json").string();
  auto r = run_cli({"study", "--config", missing, "--out", out_, "--quiet"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find(missing), std::string::npos) << r.err;

  const std::string bad = (dir_ / "bad.json").string();
  ASSERT_TRUE(write_file_atomic(bad, std::string("{\"name\": ")).ok());
  r = run_cli({"study", "--config", bad, "--out", out_, "--quiet"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("quantlab study: error: " + bad + ": not valid JSON"), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;

  const std::string unknown = (dir_ / "unknown.json").string();
  nlohmann::json doc = nlohmann::json::parse(kTinyConfig);
  doc["qat"]["epochz"] = 2;
  ASSERT_TRUE(write_file_atomic(unknown, doc.dump()).ok());
  r = run_cli({"study", "--config", unknown, "--out", out_, "--quiet"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find(unknown + ": qat.epochz: unknown key (did you mean 'epochs'?)"), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_FALSE(fs::exists(fs::path(out_) / "results.json"));
}

TEST_F(StudyCliTest, KilledStudyResumesWithoutRedoingFinishedSteps) {
  const std::vector<std::string> args = {QL_CLI_PATH, "study", "--config", config_, "--out", out_,
                                         "--jobs", "1", "--quiet"};
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    const int null_fd = ::open("/dev/null", O_WRONLY);
    ::dup2(null_fd, STDOUT_FILENO);
    ::dup2(null_fd, STDERR_FILENO);
    std::vector<char*> argv;
    for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  // Kill once the float models and the first QAT step are complete, while
  // the QAT steps and the pipelines are still ahead.
  const fs::path cache = fs::path(out_) / "cache";
  bool finished_first = false;
  while (true) {
    int status = 0;
    if (::waitpid(pid, &status, WNOHANG) == pid) {
      finished_first = true;
      break;
    }
    if (completed_steps(cache) >= 4) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      EXPECT_TRUE(WIFSIGNALED(status));
      break;
    }
    std::this_thread::sleep_for(std::chrono::microseconds(500));
  }
  ASSERT_FALSE(finished_first) << "the study finished before it could be killed";
  const int done_before = completed_steps(cache);
  ASSERT_GE(done_before, 4);
  ASSERT_LT(done_before, kTinySteps);
  EXPECT_FALSE(fs::exists(fs::path(out_) / "results.json"));
  expect_complete_outputs(out_);

  const auto resumed = run_cli({"study", "--config", config_, "--out", out_, "--jobs", "1", "--quiet"});
  ASSERT_EQ(resumed.exit_code, 0) << resumed.out << resumed.err;
  const std::string expected = std::to_string(kTinySteps - done_before) + " run, " + std::to_string(done_before) +
                               " cached, 0 failed of " + std::to_string(kTinySteps);
  EXPECT_NE(resumed.out.find(expected), std::string::npos) << resumed.out;
  EXPECT_EQ(completed_steps(cache), kTinySteps);
  expect_complete_outputs(out_);
  auto results = read_text_file((fs::path(out_) / "results.json").string());
  ASSERT_TRUE(results.ok());
  const nlohmann::json doc = nlohmann::json::parse(*results);
  ASSERT_EQ(doc["pipelines"].size(), 30u);
  for (const nlohmann::json& p : doc["pipelines"]) {
    EXPECT_EQ(p["error"], "") << p["id"];
    EXPECT_EQ(p["metrics"].size(), 6u) << p["id"];
  }
}

}  // namespace
}  // namespace quantlab
