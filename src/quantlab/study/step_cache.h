// The study's content-addressed step cache: one directory per step key
// under <out>/cache/, holding the step's artefacts and, written last, its
// completion record done.json. A directory without a readable record whose
// listed files all exist is an unfinished step (killed mid-way) and is
// simply redone; its leftovers are overwritten.
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "quantlab/core/status.h"

namespace quantlab::study {

// A 128-bit hex digest of `fields` as canonical JSON (object keys sorted,
// numbers written to round-trip), naming everything a step depends on.
std::string content_key(const nlohmann::json& fields);

class StepCache {
 public:
  explicit StepCache(std::string root) : root_(std::move(root)) {}

  // <root>/<key>/<name>
  std::string file(const std::string& key, const std::string& name) const;

  // The completion record of `key`, when it exists, parses, names `key`,
  // and every file its "files" list names exists; otherwise nothing.
  std::optional<nlohmann::json> load(const std::string& key) const;

  // Writes the completion record (atomically). Call after every artefact.
  Status complete(const std::string& key, const nlohmann::json& record) const;

  // Copies the artefact `name` of `key` to `destination` (atomically),
  // unless an identical file is already there.
  Status publish(const std::string& key, const std::string& name, const std::string& destination) const;

 private:
  std::string root_;
};

}  // namespace quantlab::study
