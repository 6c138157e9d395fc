// Registration of every subcommand. Each subcommand lives in its own file
// (tools/<name>.cc) and adds itself to the app; errors are printed once, as a
// single line naming the file and the problem, and mapped to exit codes here.
#pragma once

#include <CLI/CLI.hpp>

#include "quantlab/core/status.h"

namespace quantlab::cli {

void register_subcommands(CLI::App& app);

#define QL_SUBCOMMAND(name) void register_##name(CLI::App& app);
#include "subcommands.def"
#undef QL_SUBCOMMAND

// Reports a failed status on stderr as "quantlab <cmd>: error: <message>" and
// records the exit code (1 for bad input, 2 for unsupported, 3 for I/O, 4 internal).
void fail(const char* command, const Status& status);
int exit_code();

// Option checks whose failures read "--epochs: must be a number >= 1, got
// -2" (CLI11's own numeric checks print the whole double range).
CLI::Validator positive_number();      // > 0
CLI::Validator non_negative_number();  // >= 0

}  // namespace quantlab::cli
