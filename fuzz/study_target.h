// The body of the study configuration fuzz target, shared by the libFuzzer
// executable (fuzz_study.cc) and by tests/study_config_regression_test.cc,
// which replays every input kept in tests/regression/study/. It lives apart
// from targets.h because the study library links libtorch, which only the
// torch test executable may link.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "quantlab/core/status.h"
#include "quantlab/study/config.h"

namespace quantlab::fuzz {

// parse_study_config on arbitrary bytes must return a configuration or an
// error, never throw or crash. A configuration it accepts must survive the
// documented round trip: config_to_json, dumped and parsed again, gives the
// same JSON. Restricting it to a family of its own models (the CLI's
// --only) must succeed and leave a valid configuration; restricting it to
// an unknown family must fail cleanly.
inline Status fuzz_study_config_bytes(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  auto config = study::parse_study_config(text, "fuzz input");
  if (!config.ok()) return Status::Ok();
  const nlohmann::json first = study::config_to_json(*config);
  // dump() throws on strings that are not UTF-8; a parsed configuration must
  // never hold one, so the exception (a crash here) would be a finding.
  const std::string dumped = first.dump();
  auto again = study::parse_study_config(dumped, "round trip");
  if (!again.ok()) return internal_error("a written configuration does not parse: " + again.status().message());
  if (study::config_to_json(*again) != first)
    return internal_error("a configuration changed in a config_to_json/parse round trip: " + dumped);

  if (!config->models.empty()) {
    study::StudyConfig restricted = *config;
    const Status kept = study::restrict_to_families(&restricted, {config->models.front().family});
    if (!kept.ok()) return internal_error("restricting to a family of the study failed: " + kept.message());
    if (restricted.models.empty()) return internal_error("restricting to a family of the study kept no model");
    auto reparsed = study::parse_study_config(study::config_to_json(restricted).dump(), "restricted");
    if (!reparsed.ok())
      return internal_error("a study restricted to one family is no longer valid: " + reparsed.status().message());
  }
  study::StudyConfig unknown = *config;
  (void)study::restrict_to_families(&unknown, {"no such family \x01"});
  return Status::Ok();
}

}  // namespace quantlab::fuzz
