#include "subcommands.h"

#include <cstdio>

namespace quantlab::cli {
namespace {
int g_exit_code = 0;
}

void register_subcommands(CLI::App& app) {
#define QL_SUBCOMMAND(name) register_##name(app);
#include "subcommands.def"
#undef QL_SUBCOMMAND
}

void fail(const char* command, const Status& status) {
  std::fprintf(stderr, "quantlab %s: error: %s\n", command, status.message().c_str());
  switch (status.code()) {
    case StatusCode::kOk: break;
    case StatusCode::kInvalidArgument:
    case StatusCode::kNotFound:
    case StatusCode::kResourceExhausted: g_exit_code = 1; break;
    case StatusCode::kUnsupported: g_exit_code = 2; break;
    case StatusCode::kIoError: g_exit_code = 3; break;
    case StatusCode::kInternal: g_exit_code = 4; break;
  }
}

int exit_code() { return g_exit_code; }

}  // namespace quantlab::cli
