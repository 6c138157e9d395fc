// Test-only helpers (header-only, never linked into the library): scratch
// directories and running the system Python, whose numpy and scikit-learn
// serve as independent oracles for the data and metrics tests.
#pragma once

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

namespace quantlab {
namespace testing {

// The interpreter that has numpy and scikit-learn installed (the first
// python3 on PATH may be a different one without them).
inline const char* system_python() { return "/usr/bin/python3"; }

// A fresh directory under the system temp dir, removed with its contents
// when the object goes out of scope. path() is empty if creation failed.
class ScratchDir {
 public:
  ScratchDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "quantlab-test-XXXXXX").string();
    if (::mkdtemp(pattern.data())) path_ = pattern;
  }
  ~ScratchDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// Quotes `text` for /bin/sh so it reaches the program as one argument.
inline std::string shell_quote(const std::string& text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'') out += "'\\''";
    else out += c;
  }
  return out + "'";
}

// A Python string literal for `text` (backslashes and quotes escaped).
inline std::string python_literal(const std::string& text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\\' || c == '\'') out += '\\';
    out += c;
  }
  return out + "'";
}

struct CommandResult {
  int exit_code = -1;  // -1 if the command could not be started or was killed
  std::string output;  // stdout and stderr, interleaved
};

// Runs `command` through /bin/sh and captures its output.
inline CommandResult run_command(const std::string& command) {
  CommandResult result;
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  if (!pipe) return result;
  std::array<char, 4096> buffer;
  size_t n;
  while ((n = std::fread(buffer.data(), 1, buffer.size(), pipe)) > 0) result.output.append(buffer.data(), n);
  const int status = ::pclose(pipe);
  if (status != -1 && WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  return result;
}

// Runs a Python snippet under the system interpreter.
inline CommandResult run_python_snippet(const std::string& code) {
  return run_command(std::string(system_python()) + " -c " + shell_quote(code));
}

}  // namespace testing
}  // namespace quantlab
