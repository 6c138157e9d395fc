#include "support/cli_runner.h"

#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>

namespace quantlab::test_support {
namespace {

// Single quotes pass everything literally except a single quote itself,
// which is closed, escaped and reopened.
std::string shell_quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += (c == '\'') ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

}  // namespace

CliOutput run_cli(const std::vector<std::string>& args) {
  static int counter = 0;
  const auto dir = std::filesystem::temp_directory_path();
  const std::string stem = "quantlab_cli_" + std::to_string(getpid()) + "_" + std::to_string(counter++);
  const std::string out_path = (dir / (stem + ".out")).string();
  const std::string err_path = (dir / (stem + ".err")).string();
  std::ostringstream command;
  command << shell_quote(QL_CLI_PATH);
  for (const auto& a : args) command << ' ' << shell_quote(a);
  command << " >" << shell_quote(out_path) << " 2>" << shell_quote(err_path) << " </dev/null";
  const int status = std::system(command.str().c_str());
  CliOutput result;
  if (status != -1 && WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  result.out = slurp(out_path);
  result.err = slurp(err_path);
  std::error_code ec;
  std::filesystem::remove(out_path, ec);
  std::filesystem::remove(err_path, ec);
  return result;
}

}  // namespace quantlab::test_support
