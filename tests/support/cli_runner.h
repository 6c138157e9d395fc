// Runs the built `quantlab` executable and captures what it printed, for
// end-to-end tests of the command-line interface.
#pragma once

#include <string>
#include <vector>

namespace quantlab::test_support {

struct CliOutput {
  int exit_code = -1;  // the process's exit status; -1 if it did not exit normally
  std::string out;     // everything written to stdout
  std::string err;     // everything written to stderr
};

// Runs `quantlab <args...>`; each argument is passed verbatim (shell-quoted).
CliOutput run_cli(const std::vector<std::string>& args);

}  // namespace quantlab::test_support
