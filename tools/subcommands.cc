#include "subcommands.h"

#include <cstdio>
#include <cstdlib>
#include <string>

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

namespace {

CLI::Validator number_at_least(double lowest, bool inclusive, const std::string& description) {
  return CLI::Validator(
      [=](std::string& text) -> std::string {
        char* end = nullptr;
        const double value = std::strtod(text.c_str(), &end);
        const bool parsed = !text.empty() && end != nullptr && *end == '\0';
        if (parsed && (inclusive ? value >= lowest : value > lowest)) return std::string();
        return "must be " + description + ", got '" + text + "'";
      },
      description);
}

}  // namespace

CLI::Validator positive_number() { return number_at_least(0, false, "a number > 0"); }
CLI::Validator non_negative_number() { return number_at_least(0, true, "a number >= 0"); }

}  // namespace quantlab::cli
