// PLACEHOLDER: `quantlab inspect` is being written.
#include "subcommands.h"

namespace quantlab::cli {
void register_inspect(CLI::App& app) {
  auto* cmd = app.add_subcommand("inspect", "Summarize a .tflite model (not built yet)");
  cmd->callback([] { fail("inspect", unsupported("inspect is not built yet")); });
}
}  // namespace quantlab::cli
