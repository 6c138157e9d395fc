#include "quantlab/study/step_cache.h"

#include <cstdio>
#include <filesystem>

#include "quantlab/core/file_io.h"

namespace quantlab::study {

namespace {

namespace fs = std::filesystem;

// Two independent 64-bit hashes of the text: FNV-1a, and a multiply-xorshift
// hash with a different constant. A cache key only has to tell apart the
// configurations one output directory ever sees; 128 bits make an accidental
// collision negligible.
uint64_t fnv1a(const std::string& text) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : text) {
    h ^= c;
    h *= 0x100000001b3ull;
  }
  return h;
}

uint64_t mix_hash(const std::string& text) {
  uint64_t h = 0x9e3779b97f4a7c15ull ^ text.size();
  for (unsigned char c : text) {
    h = (h ^ c) * 0xff51afd7ed558ccdull;
    h ^= h >> 32;
  }
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ull;
  h ^= h >> 33;
  return h;
}

}  // namespace

std::string content_key(const nlohmann::json& fields) {
  const std::string text = fields.dump();
  char digest[33];
  std::snprintf(digest, sizeof(digest), "%016llx%016llx", static_cast<unsigned long long>(fnv1a(text)),
                static_cast<unsigned long long>(mix_hash(text)));
  return digest;
}

std::string StepCache::file(const std::string& key, const std::string& name) const {
  return (fs::path(root_) / key / name).string();
}

std::optional<nlohmann::json> StepCache::load(const std::string& key) const {
  auto text = read_text_file(file(key, "done.json"));
  if (!text.ok()) return std::nullopt;
  nlohmann::json record = nlohmann::json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (record.is_discarded() || !record.is_object()) return std::nullopt;
  auto k = record.find("key");
  if (k == record.end() || !k->is_string() || k->get<std::string>() != key) return std::nullopt;
  auto files = record.find("files");
  if (files == record.end() || !files->is_array()) return std::nullopt;
  for (const nlohmann::json& f : *files) {
    std::error_code ec;
    if (!f.is_string() || !fs::is_regular_file(file(key, f.get<std::string>()), ec)) return std::nullopt;
  }
  auto published = record.find("published");
  if (published == record.end() || !published->is_array()) return std::nullopt;
  for (const nlohmann::json& p : *published)
    if (!p.is_array() || p.size() != 2 || !p[0].is_string() || !p[1].is_string()) return std::nullopt;
  return record;
}

Status StepCache::complete(const std::string& key, const nlohmann::json& record) const {
  return write_file_atomic(file(key, "done.json"), record.dump(1) + "\n");
}

Status StepCache::publish(const std::string& key, const std::string& name, const std::string& destination) const {
  std::error_code ec;
  // Already the same file (published by an earlier run as a link).
  if (fs::exists(destination, ec) && fs::equivalent(file(key, name), destination, ec)) return Status::Ok();
  QL_ASSIGN_OR_RETURN(const std::vector<uint8_t> bytes, read_file(file(key, name)));
  if (fs::is_regular_file(destination, ec) && fs::file_size(destination, ec) == bytes.size()) {
    auto existing = read_file(destination);
    if (existing.ok() && *existing == bytes) return Status::Ok();
  }
  // A hard link shares the cached bytes instead of copying them (the
  // debugger's pages inline their charting library); it is made under a
  // temporary name and renamed over the destination, so the destination is
  // always either the old file or the complete new one.
  const fs::path target(destination);
  fs::create_directories(target.parent_path(), ec);
  const fs::path temporary = target.string() + ".tmp-link";
  fs::remove(temporary, ec);
  ec.clear();
  fs::create_hard_link(file(key, name), temporary, ec);
  if (!ec) {
    fs::rename(temporary, target, ec);
    if (!ec) return Status::Ok();
    fs::remove(temporary, ec);
  }
  return write_file_atomic(destination, bytes);
}

}  // namespace quantlab::study
