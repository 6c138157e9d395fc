// quantlab's command-line interface: one file per subcommand, registered here.
#include <CLI/CLI.hpp>

#include <cstdio>

#include "subcommands.h"

int main(int argc, char** argv) {
  CLI::App app{"quantlab: compress, quantize, run and debug small TensorFlow Lite models for edge devices"};
  app.require_subcommand(1);
  app.set_help_all_flag("--help-all", "Show help for every subcommand");
  quantlab::cli::register_subcommands(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  return quantlab::cli::exit_code();
}
