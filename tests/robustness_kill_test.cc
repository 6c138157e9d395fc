// Crash safety of `quantlab quantize`: the process is killed (SIGKILL, so
// nothing of its own runs) at successive points of writing its outputs, and
// after every kill each output that exists under its final name must be
// complete. Temporary files ("<name>.tmp-<pid>-<n>") may be left behind; they
// are cleaned up here as a user would. A rerun over the leftovers must then
// succeed and give the same files as an uninterrupted run.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "quantlab/core/file_io.h"
#include "quantlab/ir/graph.h"
#include "quantlab/tflite/reader.h"
#include "quantlab/tflite/writer.h"

namespace quantlab {
namespace {

namespace fs = std::filesystem;

// A float FULLY_CONNECTED model with a 1024 x 3072 weight (12 MiB), so each
// converted file takes long enough to write that kills land inside writes.
void write_large_float_model(const std::string& path) {
  constexpr int32_t kIn = 3072, kOut = 1024;
  Graph g;
  const int32_t x = g.add_activation("x", DType::kFloat32, {1, kIn});
  std::vector<float> weights(static_cast<size_t>(kIn) * kOut);
  uint32_t state = 12345;  // a fixed linear congruential sequence in [-0.5, 0.5)
  for (float& w : weights) {
    state = state * 1664525u + 1013904223u;
    w = static_cast<float>(state >> 8) / static_cast<float>(1u << 24) - 0.5f;
  }
  std::vector<uint8_t> weight_bytes(weights.size() * sizeof(float));
  std::memcpy(weight_bytes.data(), weights.data(), weight_bytes.size());
  const int32_t w = g.add_constant("w", DType::kFloat32, {kOut, kIn}, std::move(weight_bytes));
  const int32_t b = g.add_constant("b", DType::kFloat32, {kOut}, std::vector<uint8_t>(kOut * sizeof(float), 0));
  const int32_t y = g.add_activation("y", DType::kFloat32, {1, kOut});
  Op fc;
  fc.kind = OpKind::kFullyConnected;
  fc.inputs = {x, w, b};
  fc.outputs = {y};
  fc.options = FullyConnectedOptions{};
  g.ops.push_back(fc);
  g.inputs = {x};
  g.outputs = {y};
  ASSERT_TRUE(write_tflite_file(g, path).ok());
}

bool is_temporary(const fs::path& p) { return p.filename().string().find(".tmp-") != std::string::npos; }

std::set<std::string> entries_of(const fs::path& dir) {
  std::set<std::string> names;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
    names.insert(it->path().filename().string());
  return names;
}

pid_t spawn_quantize(const std::string& model, const std::string& out_dir) {
  const std::vector<std::string> args = {QL_CLI_PATH, "quantize", model, "--scheme", "float",
                                         "--scheme", "drq", "-o", out_dir, "--threads", "1"};
  const pid_t pid = ::fork();
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
  return pid;
}

// Runs quantize and sends SIGKILL the moment the `nth` distinct directory
// entry (temporary or final) appears in `out_dir`. Returns true if the
// process was killed, false if it finished first.
bool quantize_and_kill_at_entry(const std::string& model, const fs::path& out_dir, size_t nth) {
  const std::set<std::string> before = entries_of(out_dir);
  const pid_t pid = spawn_quantize(model, out_dir.string());
  EXPECT_GT(pid, 0);
  std::set<std::string> seen;
  while (true) {
    int status = 0;
    if (::waitpid(pid, &status, WNOHANG) == pid) return false;
    for (const std::string& name : entries_of(out_dir))
      if (!before.count(name)) seen.insert(name);
    if (seen.size() >= nth) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      return WIFSIGNALED(status);
    }
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
}

int run_quantize_to_end(const std::string& model, const fs::path& out_dir) {
  const pid_t pid = spawn_quantize(model, out_dir.string());
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::map<std::string, std::vector<uint8_t>> final_files(const fs::path& dir) {
  std::map<std::string, std::vector<uint8_t>> files;
  for (const std::string& name : entries_of(dir)) {
    if (is_temporary(name)) continue;
    auto bytes = read_file((dir / name).string());
    EXPECT_TRUE(bytes.ok()) << bytes.status().message();
    if (bytes.ok()) files[name] = std::move(*bytes);
  }
  return files;
}

TEST(RobustnessKill, QuantizeKilledMidWriteLeavesOnlyCompleteFiles) {
  const fs::path dir = fs::temp_directory_path() / ("quantlab_robust_kill_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir / "out");
  const std::string model = (dir / "large.tflite").string();
  write_large_float_model(model);
  if (::testing::Test::HasFatalFailure()) return;

  // The uninterrupted result: the float and drq models and the summary.
  const fs::path reference_dir = dir / "reference";
  ASSERT_EQ(run_quantize_to_end(model, reference_dir), 0);
  const auto reference = final_files(reference_dir);
  ASSERT_EQ(reference.size(), 3u);
  for (const auto& [name, bytes] : reference) {
    if (fs::path(name).extension() == ".tflite") {
      ASSERT_TRUE(read_tflite(bytes.data(), bytes.size(), name).ok()) << name;
    } else {
      ASSERT_EQ(name, "large.quantize.json");
      ASSERT_FALSE(nlohmann::json::parse(bytes.begin(), bytes.end(), nullptr, false).is_discarded());
    }
  }
  // The summary names the output directory, so the kill runs write to a
  // directory of the same name: move the reference away first.
  fs::rename(reference_dir, dir / "reference_done");
  const fs::path out = reference_dir;

  // Each output appears as a temporary file, then under its final name, so
  // killing at the 1st..6th new entry stops the run inside or right after
  // every write.
  int killed = 0, killed_with_temporary = 0;
  for (size_t nth = 1; nth <= 2 * reference.size(); ++nth) {
    fs::remove_all(out);
    fs::create_directories(out);
    if (!quantize_and_kill_at_entry(model, out, nth)) continue;
    ++killed;
    bool temporary_left = false;
    for (const std::string& name : entries_of(out)) temporary_left |= is_temporary(name);
    killed_with_temporary += temporary_left;
    for (const auto& [name, bytes] : final_files(out)) {
      ASSERT_TRUE(reference.count(name)) << "unexpected output " << name << " after a kill at entry " << nth;
      EXPECT_EQ(bytes.size(), reference.at(name).size()) << name << " is truncated after a kill at entry " << nth;
      EXPECT_TRUE(bytes == reference.at(name)) << name << " differs after a kill at entry " << nth;
    }
  }
  EXPECT_GT(killed, 0) << "every run finished before it could be killed";
  std::printf("[          ] %d of %zu runs killed, %d of them with a temporary file left behind\n", killed,
              2 * reference.size(), killed_with_temporary);

  // Rerun over the leftovers of the last killed run (temporaries included):
  // it must succeed and leave exactly the uninterrupted result.
  ASSERT_EQ(run_quantize_to_end(model, out), 0);
  for (const auto& [name, bytes] : reference) {
    auto again = read_file((out / name).string());
    ASSERT_TRUE(again.ok()) << again.status().message();
    EXPECT_TRUE(*again == bytes) << name << " differs after the rerun";
  }
  fs::remove_all(dir);
}

}  // namespace
}  // namespace quantlab
