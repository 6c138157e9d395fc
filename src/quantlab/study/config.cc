#include "quantlab/study/config.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <limits>
#include <set>
#include <sstream>

#include "quantlab/zoo/zoo.h"

namespace quantlab::study {

const char* dataset_kind_name(DatasetKind kind) { return kind == DatasetKind::kHar ? "har" : "ecg"; }

namespace {

using nlohmann::json;

// nlohmann's parser is iterative, but deeply nested values are still
// expensive to build and to destroy; no valid configuration nests deeper
// than a handful of levels, so anything past this is rejected before parsing.
constexpr int kMaxNesting = 64;

int nesting_depth(const std::string& text) {
  int depth = 0, deepest = 0;
  bool in_string = false, escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped) escaped = false;
      else if (c == '\\') escaped = true;
      else if (c == '"') in_string = false;
      continue;
    }
    if (c == '"') in_string = true;
    else if (c == '[' || c == '{') deepest = std::max(deepest, ++depth);
    else if (c == ']' || c == '}') depth = std::max(0, depth - 1);
  }
  return deepest;
}

// Edit distance, for "did you mean" on misspelt keys and names.
size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t above = row[j];
      const size_t substitute = diagonal + (a[i - 1] == b[j - 1] ? 0 : 1);
      row[j] = std::min({above + 1, row[j - 1] + 1, substitute});
      diagonal = above;
    }
  }
  return row[b.size()];
}

std::string did_you_mean(const std::string& word, const std::vector<std::string>& candidates) {
  if (word.size() > 64) return "";
  std::string best;
  size_t best_distance = std::max<size_t>(2, word.size() / 3) + 1;
  for (const std::string& c : candidates) {
    const size_t d = edit_distance(word, c);
    if (d < best_distance) {
      best_distance = d;
      best = c;
    }
  }
  return best.empty() ? "" : " (did you mean '" + best + "'?)";
}

std::string join(const std::vector<std::string>& words) {
  std::string out;
  for (const std::string& w : words) out += (out.empty() ? "" : ", ") + w;
  return out;
}

// A value as it appears in messages, shortened so a huge value cannot
// flood the error.
std::string show(const json& value) {
  std::string text = value.dump(-1, ' ', false, json::error_handler_t::replace);
  if (text.size() > 60) text = text.substr(0, 57) + "...";
  return text;
}

// A string from the file inside quotes in a message, shortened likewise.
std::string show_text(const std::string& text) { return text.size() > 60 ? text.substr(0, 57) + "..." : text; }

// Reads one JSON object, remembering the key path for messages and which
// keys were consumed, so unknown keys can be reported.
class ObjectReader {
 public:
  ObjectReader(const json& object, std::string path, const std::string& source)
      : object_(object), path_(std::move(path)), source_(source) {}

  Status error(const std::string& key, const std::string& message) const {
    return invalid_argument(source_ + ": " + child_path(key) + ": " + message);
  }
  std::string child_path(const std::string& key) const { return path_.empty() ? key : path_ + "." + key; }

  const json* find(const std::string& key) {
    if (std::find(known_.begin(), known_.end(), key) == known_.end()) known_.push_back(key);
    auto it = object_.find(key);
    return it == object_.end() ? nullptr : &*it;
  }

  Status read_string(const std::string& key, std::string* out, bool required = false) {
    const json* v = find(key);
    if (v == nullptr) return required ? error(key, "missing (required)") : Status::Ok();
    if (!v->is_string()) return error(key, "expected a string, got " + show(*v));
    *out = v->get<std::string>();
    return Status::Ok();
  }

  Status read_int(const std::string& key, int64_t lo, int64_t hi, int64_t* out) {
    const json* v = find(key);
    if (v == nullptr) return Status::Ok();
    if (v->is_number_integer() || v->is_number_unsigned()) {
      if (v->is_number_unsigned() && v->get<uint64_t>() > static_cast<uint64_t>(hi))
        return error(key, show(*v) + " is out of range [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
      const int64_t value = v->get<int64_t>();
      if (value < lo || value > hi)
        return error(key, show(*v) + " is out of range [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
      *out = value;
      return Status::Ok();
    }
    return error(key, "expected an integer, got " + show(*v));
  }
  Status read_int(const std::string& key, int lo, int hi, int* out) {
    int64_t value = *out;
    QL_RETURN_IF_ERROR(read_int(key, static_cast<int64_t>(lo), static_cast<int64_t>(hi), &value));
    *out = static_cast<int>(value);
    return Status::Ok();
  }

  // A finite number in [lo, hi] (or [lo, hi) when `hi_open`).
  Status read_double(const std::string& key, double lo, double hi, bool hi_open, double* out) {
    const json* v = find(key);
    if (v == nullptr) return Status::Ok();
    if (!v->is_number()) return error(key, "expected a number, got " + show(*v));
    const double value = v->get<double>();
    const bool above = hi_open ? !(value < hi) : !(value <= hi);
    if (!std::isfinite(value) || value < lo || above) {
      std::ostringstream range;
      range << "[" << lo << ", " << hi << (hi_open ? ")" : "]");
      return error(key, show(*v) + " is out of range " + range.str());
    }
    *out = value;
    return Status::Ok();
  }

  Status read_bool(const std::string& key, bool* out) {
    const json* v = find(key);
    if (v == nullptr) return Status::Ok();
    if (!v->is_boolean()) return error(key, "expected true or false, got " + show(*v));
    *out = v->get<bool>();
    return Status::Ok();
  }

  // A string that must be one of `names`; returns its index.
  Status read_choice(const std::string& key, const std::vector<std::string>& names, int* index) {
    const json* v = find(key);
    if (v == nullptr) return Status::Ok();
    if (!v->is_string()) return error(key, "expected one of " + join(names) + ", got " + show(*v));
    const std::string text = v->get<std::string>();
    for (size_t i = 0; i < names.size(); ++i) {
      if (names[i] == text) {
        *index = static_cast<int>(i);
        return Status::Ok();
      }
    }
    return error(key, "unknown value " + show(*v) + " (known: " + join(names) + ")" + did_you_mean(text, names));
  }

  // Call after reading every key: any key not asked for is an error.
  Status finish() const {
    for (auto it = object_.begin(); it != object_.end(); ++it) {
      if (std::find(known_.begin(), known_.end(), it.key()) == known_.end())
        return error(it.key(), "unknown key" + did_you_mean(it.key(), known_) + " (known: " + join(known_) + ")");
    }
    return Status::Ok();
  }

 private:
  const json& object_;
  std::string path_;
  const std::string& source_;
  std::vector<std::string> known_;
};

Status expect_object(const json& value, const std::string& path, const std::string& source) {
  if (value.is_object()) return Status::Ok();
  return invalid_argument(source + ": " + (path.empty() ? std::string("the configuration") : path) +
                          ": expected an object, got " + show(value));
}

const std::vector<std::string>& schedule_names() {
  static const std::vector<std::string> names = {"constant", "polynomial"};
  return names;
}
const std::vector<std::string>& scope_names() {
  static const std::vector<std::string> names = {"layer", "global"};
  return names;
}
const std::vector<std::string>& method_names() {
  static const std::vector<std::string> names = {"svd", "tt"};
  return names;
}

std::vector<std::string> arch_names() {
  std::vector<std::string> names;
  for (const zoo::ArchInfo& a : zoo::architectures()) names.push_back(a.name);
  return names;
}

Status parse_dataset(const json& value, const std::string& path, const std::string& source, DatasetConfig* out) {
  QL_RETURN_IF_ERROR(expect_object(value, path, source));
  ObjectReader r(value, path, source);
  QL_RETURN_IF_ERROR(r.read_string("name", &out->name, /*required=*/true));
  if (out->name.empty()) return r.error("name", "must not be empty");
  int kind = static_cast<int>(out->kind);
  if (r.find("kind") == nullptr) return r.error("kind", "missing (required: har or ecg)");
  QL_RETURN_IF_ERROR(r.read_choice("kind", {"har", "ecg"}, &kind));
  out->kind = static_cast<DatasetKind>(kind);
  const int64_t min_samples = out->kind == DatasetKind::kHar ? 30 : 10;
  QL_RETURN_IF_ERROR(r.read_int("samples", min_samples, int64_t{10000000}, &out->samples));
  QL_RETURN_IF_ERROR(r.read_int("subjects", 3, 100000, &out->subjects));
  QL_RETURN_IF_ERROR(r.read_int("leads", 1, 12, &out->leads));
  QL_RETURN_IF_ERROR(r.read_int("length", 2, 100000, &out->length));
  QL_RETURN_IF_ERROR(r.read_double("sample_rate_hz", 50.0, 1000.0, false, &out->sample_rate_hz));
  QL_RETURN_IF_ERROR(r.finish());
  if (out->kind == DatasetKind::kEcg && out->length < 2.0 * out->sample_rate_hz)
    return r.error("length", std::to_string(out->length) + " samples are less than 2 s at " +
                                 show(json(out->sample_rate_hz)) + " Hz");
  if (out->kind == DatasetKind::kHar && out->subjects > out->samples)
    return r.error("subjects", std::to_string(out->subjects) + " subjects exceed the " +
                                   std::to_string(out->samples) + " samples");
  return Status::Ok();
}

// A name that can be one path component: not empty, no separators or
// control characters, not starting with '.' (so never "." or "..").
bool is_plain_name(const std::string& name) {
  if (name.empty() || name.size() > 100 || name[0] == '.') return false;
  for (unsigned char c : name)
    if (c < 0x20 || c == 0x7f || c == '/' || c == '\\') return false;
  return true;
}

Status parse_model(const json& value, const std::string& path, const std::string& source, ModelConfig* out) {
  QL_RETURN_IF_ERROR(expect_object(value, path, source));
  ObjectReader r(value, path, source);
  QL_RETURN_IF_ERROR(r.read_string("arch", &out->arch, /*required=*/true));
  if (zoo::find_architecture(out->arch) == nullptr)
    return r.error("arch", "unknown architecture '" + show_text(out->arch) + "' (known: " +
                               zoo::architecture_names() + ")" + did_you_mean(out->arch, arch_names()));
  // The family names a directory of the outputs (models/<family>/...).
  QL_RETURN_IF_ERROR(r.read_string("family", &out->family, /*required=*/true));
  if (!is_plain_name(out->family))
    return r.error("family", show(json(out->family)) + " must be a non-empty name without '/', '\\', control "
                             "characters or a leading '.'");
  QL_RETURN_IF_ERROR(r.read_string("size", &out->size, /*required=*/true));
  if (out->size.empty()) return r.error("size", "must not be empty");
  QL_RETURN_IF_ERROR(r.read_string("dataset", &out->dataset, /*required=*/true));
  QL_RETURN_IF_ERROR(r.read_double("width_scale", 1e-3, 16.0, false, &out->width_scale));
  if (r.find("sparsity") != nullptr) {
    double sparsity = 0;
    QL_RETURN_IF_ERROR(r.read_double("sparsity", 0.0, 1.0, true, &sparsity));
    out->sparsity = sparsity;
  }
  if (r.find("factor_method") != nullptr) {
    int method = 0;
    QL_RETURN_IF_ERROR(r.read_choice("factor_method", method_names(), &method));
    out->factor_method = static_cast<compress::FactorMethod>(method);
  }
  if (r.find("factor_rank") != nullptr) {
    int rank = 1;
    QL_RETURN_IF_ERROR(r.read_int("factor_rank", 1, 1 << 20, &rank));
    out->factor_rank = rank;
  }
  return r.finish();
}

template <typename T>
Status parse_name_list(ObjectReader* r, const std::string& key, const std::vector<T>& all,
                       const char* (*name_of)(T), std::vector<T>* out) {
  const json* v = r->find(key);
  if (v == nullptr) return Status::Ok();
  std::vector<std::string> names;
  for (T item : all) names.push_back(name_of(item));
  if (!v->is_array()) return r->error(key, "expected a list of " + join(names) + ", got " + show(*v));
  if (v->empty()) return r->error(key, "must name at least one of " + join(names));
  std::vector<T> items;
  for (size_t i = 0; i < v->size(); ++i) {
    const json& entry = (*v)[i];
    const std::string where = key + "[" + std::to_string(i) + "]";
    if (!entry.is_string()) return r->error(where, "expected one of " + join(names) + ", got " + show(entry));
    const std::string text = entry.get<std::string>();
    auto found = std::find(names.begin(), names.end(), text);
    if (found == names.end())
      return r->error(where, "unknown value " + show(entry) + " (known: " + join(names) + ")" +
                                 did_you_mean(text, names));
    const T item = all[static_cast<size_t>(found - names.begin())];
    if (std::find(items.begin(), items.end(), item) != items.end())
      return r->error(where, show(entry) + " is listed twice");
    items.push_back(item);
  }
  // The study runs them in the canonical order whatever the listing order.
  out->clear();
  for (T item : all)
    if (std::find(items.begin(), items.end(), item) != items.end()) out->push_back(item);
  return Status::Ok();
}

const char* scheme_name_of(Scheme s) { return scheme_name(s); }
const char* stage_name_of(Stage s) { return stage_name(s); }
const char* strategy_name_of(Strategy s) { return strategy_name(s); }

Status parse_training(const json& value, const std::string& source, TrainingConfig* out) {
  QL_RETURN_IF_ERROR(expect_object(value, "training", source));
  ObjectReader r(value, "training", source);
  QL_RETURN_IF_ERROR(r.read_int("epochs", 1, 100000, &out->epochs));
  QL_RETURN_IF_ERROR(r.read_int("batch_size", 1, 1 << 20, &out->batch_size));
  QL_RETURN_IF_ERROR(r.read_double("learning_rate", 1e-12, 10.0, false, &out->learning_rate));
  QL_RETURN_IF_ERROR(r.read_int("patience", 0, 100000, &out->patience));
  return r.finish();
}

Status parse_pruning(const json& value, const std::string& source, PruningConfig* out) {
  QL_RETURN_IF_ERROR(expect_object(value, "pruning", source));
  ObjectReader r(value, "pruning", source);
  QL_RETURN_IF_ERROR(r.read_double("sparsity", 0.0, 1.0, true, &out->sparsity));
  QL_RETURN_IF_ERROR(r.read_double("initial_sparsity", 0.0, 1.0, true, &out->initial_sparsity));
  int schedule = static_cast<int>(out->schedule);
  QL_RETURN_IF_ERROR(r.read_choice("schedule", schedule_names(), &schedule));
  out->schedule = static_cast<compress::PruneSchedule>(schedule);
  int scope = static_cast<int>(out->scope);
  QL_RETURN_IF_ERROR(r.read_choice("scope", scope_names(), &scope));
  out->scope = static_cast<compress::PruneScope>(scope);
  QL_RETURN_IF_ERROR(r.read_int("ramp_epochs", 1, 100000, &out->ramp_epochs));
  QL_RETURN_IF_ERROR(r.read_int("fine_tune_epochs", 1, 100000, &out->fine_tune_epochs));
  QL_RETURN_IF_ERROR(r.read_int("mask_update_every", 1, 1 << 20, &out->mask_update_every));
  return r.finish();
}

Status parse_factorization(const json& value, const std::string& source, FactorizationConfig* out) {
  QL_RETURN_IF_ERROR(expect_object(value, "factorization", source));
  ObjectReader r(value, "factorization", source);
  int method = static_cast<int>(out->method);
  QL_RETURN_IF_ERROR(r.read_choice("method", method_names(), &method));
  out->method = static_cast<compress::FactorMethod>(method);
  QL_RETURN_IF_ERROR(r.read_bool("svd_fallback", &out->svd_fallback));
  int rank = out->rank;
  QL_RETURN_IF_ERROR(r.read_int("rank", 1, 1 << 20, &rank));
  out->rank = rank;
  QL_RETURN_IF_ERROR(r.read_int("fine_tune_epochs", 1, 100000, &out->fine_tune_epochs));
  return r.finish();
}

Status parse_qat(const json& value, const std::string& source, QatConfig* out) {
  QL_RETURN_IF_ERROR(expect_object(value, "qat", source));
  ObjectReader r(value, "qat", source);
  QL_RETURN_IF_ERROR(r.read_int("epochs", 1, 100000, &out->epochs));
  QL_RETURN_IF_ERROR(r.read_double("learning_rate", 1e-12, 10.0, false, &out->learning_rate));
  QL_RETURN_IF_ERROR(r.read_double("range_decay", 0.0, 1.0, true, &out->range_decay));
  return r.finish();
}

Status parse_document(const json& doc, const std::string& source, StudyConfig* config) {
  QL_RETURN_IF_ERROR(expect_object(doc, "", source));
  ObjectReader r(doc, "", source);
  QL_RETURN_IF_ERROR(r.read_string("name", &config->name));
  QL_RETURN_IF_ERROR(r.read_string("profile", &config->profile));
  int64_t seed = static_cast<int64_t>(config->seed);
  QL_RETURN_IF_ERROR(r.read_int("seed", int64_t{0}, std::numeric_limits<int64_t>::max(), &seed));
  config->seed = static_cast<uint64_t>(seed);

  const json* datasets = r.find("datasets");
  if (datasets == nullptr) return r.error("datasets", "missing (required)");
  if (!datasets->is_array() || datasets->empty()) return r.error("datasets", "expected a non-empty list of datasets");
  config->datasets.clear();
  for (size_t i = 0; i < datasets->size(); ++i) {
    DatasetConfig d;
    const std::string path = "datasets[" + std::to_string(i) + "]";
    QL_RETURN_IF_ERROR(parse_dataset((*datasets)[i], path, source, &d));
    for (const DatasetConfig& earlier : config->datasets)
      if (earlier.name == d.name) return r.error(path + ".name", "dataset " + show(json(d.name)) + " is defined twice");
    config->datasets.push_back(d);
  }

  const json* models = r.find("models");
  if (models == nullptr) return r.error("models", "missing (required)");
  if (!models->is_array() || models->empty()) return r.error("models", "expected a non-empty list of models");
  config->models.clear();
  std::vector<std::string> dataset_names;
  for (const DatasetConfig& d : config->datasets) dataset_names.push_back(d.name);
  for (size_t i = 0; i < models->size(); ++i) {
    ModelConfig m;
    const std::string path = "models[" + std::to_string(i) + "]";
    QL_RETURN_IF_ERROR(parse_model((*models)[i], path, source, &m));
    if (std::find(dataset_names.begin(), dataset_names.end(), m.dataset) == dataset_names.end())
      return r.error(path + ".dataset", "unknown dataset " + show(json(m.dataset)) + " (defined: " +
                                            join(dataset_names) + ")" + did_you_mean(m.dataset, dataset_names));
    for (const ModelConfig& earlier : config->models)
      if (earlier.arch == m.arch)
        return r.error(path + ".arch", "architecture " + show(json(m.arch)) + " appears twice (each model of a study "
                                       "is named by its architecture)");
    config->models.push_back(m);
  }

  QL_RETURN_IF_ERROR(parse_name_list<Stage>(&r, "stages", all_stages(), stage_name_of, &config->stages));
  QL_RETURN_IF_ERROR(
      parse_name_list<Strategy>(&r, "strategies", all_strategies(), strategy_name_of, &config->strategies));
  QL_RETURN_IF_ERROR(parse_name_list<Scheme>(&r, "schemes", all_schemes(), scheme_name_of, &config->schemes));

  if (const json* v = r.find("training")) QL_RETURN_IF_ERROR(parse_training(*v, source, &config->training));
  if (const json* v = r.find("pruning")) QL_RETURN_IF_ERROR(parse_pruning(*v, source, &config->pruning));
  if (const json* v = r.find("factorization"))
    QL_RETURN_IF_ERROR(parse_factorization(*v, source, &config->factorization));
  if (const json* v = r.find("qat")) QL_RETURN_IF_ERROR(parse_qat(*v, source, &config->qat));
  QL_RETURN_IF_ERROR(r.read_int("calibration_samples", 1, 10000000, &config->calibration_samples));
  QL_RETURN_IF_ERROR(r.read_int("debug_samples", 0, 10000000, &config->debug_samples));
  int split = config->eval_split == "val" ? 1 : 0;
  QL_RETURN_IF_ERROR(r.read_choice("eval_split", {"test", "val"}, &split));
  config->eval_split = split == 1 ? "val" : "test";

  if (const json* v = r.find("profile_notes")) {
    if (!v->is_array()) return r.error("profile_notes", "expected a list of strings, got " + show(*v));
    config->profile_notes.clear();
    for (size_t i = 0; i < v->size(); ++i) {
      if (!(*v)[i].is_string())
        return r.error("profile_notes[" + std::to_string(i) + "]", "expected a string, got " + show((*v)[i]));
      config->profile_notes.push_back((*v)[i].get<std::string>());
    }
  }
  return r.finish();
}

// The original study's design at its own sizes: every family, lean and fat, with the
// sparsities its pruned models carry in their names.
StudyConfig full_study() {
  StudyConfig c;
  c.name = "quantization-study";
  c.profile = "full";
  c.seed = 1;
  c.datasets = {
      DatasetConfig{"har", DatasetKind::kHar, 6000, 30, 12, 500, 100.0},
      DatasetConfig{"ecg", DatasetKind::kEcg, 4000, 30, 12, 500, 100.0},
  };
  auto model = [](const char* family, const char* size, const char* arch, const char* dataset, double sparsity) {
    ModelConfig m;
    m.family = family;
    m.size = size;
    m.arch = arch;
    m.dataset = dataset;
    m.sparsity = sparsity;
    return m;
  };
  c.models = {
      model("SmartWatch", "lean", "smartwatch-lean", "har", 0.65),
      model("SmartWatch", "fat", "smartwatch-fat", "har", 0.65),
      model("BSPC", "lean", "bspc-lean", "ecg", 0.90),
      model("BSPC", "fat", "bspc-fat", "ecg", 0.80),
      model("BSPC-GAP", "lean", "bspc-gap-lean", "ecg", 0.85),
      model("BSPC-GAP", "fat", "bspc-gap-fat", "ecg", 0.85),
  };
  c.stages = all_stages();
  c.strategies = all_strategies();
  c.schemes = all_schemes();
  c.training = TrainingConfig{30, 64, 1e-3, 8};
  c.pruning.ramp_epochs = 4;
  c.pruning.fine_tune_epochs = 10;
  c.factorization.rank = 8;
  c.factorization.fine_tune_epochs = 10;
  c.qat.epochs = 10;
  c.calibration_samples = 200;
  c.debug_samples = 50;
  return c;
}

// The full design shrunk to run in minutes on two cores; every reduction
// is listed in profile_notes.
StudyConfig quick_study() {
  StudyConfig c = full_study();
  c.name = "quantization-study-quick";
  c.profile = "quick";
  c.datasets[0].samples = 2000;
  c.datasets[1].samples = 1000;
  c.datasets[1].length = 250;
  // The ECG families cost the most (long inputs, many filters); the
  // SmartWatch models are small enough to keep closer to their sizes.
  for (ModelConfig& m : c.models) {
    const bool smartwatch = m.family == "SmartWatch";
    if (m.size == "lean") m.width_scale = smartwatch ? 1.0 : 0.5;
    else m.width_scale = smartwatch ? 0.5 : 0.25;
  }
  c.training = TrainingConfig{15, 32, 2e-3, 0};
  c.pruning.ramp_epochs = 2;
  c.pruning.fine_tune_epochs = 4;
  c.pruning.mask_update_every = 5;
  c.factorization.rank = 4;
  c.factorization.fine_tune_epochs = 3;
  c.qat.epochs = 3;
  c.calibration_samples = 128;
  c.debug_samples = 16;
  c.profile_notes = {
      "synthetic HAR: 2000 windows (full profile: 6000); synthetic ECG: 1000 records of 250 samples, 2.5 s at "
      "100 Hz (full: 4000 records of 500)",
      "width scale: SmartWatch lean 1 and fat 0.5; BSPC and BSPC-GAP lean 0.5 and fat 0.25 (full: 1, the "
      "documented sizes)",
      "training: 15 epochs, batch 32, learning rate 0.002, no early stopping (full: 30 epochs, batch 64, "
      "learning rate 0.001, patience 8)",
      "pruning: 2 ramp + 4 fine-tuning epochs, masks updated every 5 steps (full: 4 + 10, every 10); the original study's "
      "sparsities are kept",
      "factorization: rank 4, 3 fine-tuning epochs (full: rank 8, 10 epochs)",
      "QAT: 3 epochs (full: 10)",
      "calibration: 128 training samples (full: 200); debugger: 16 test samples per quantized model (full: 50)",
  };
  return c;
}

}  // namespace

Result<StudyConfig> parse_study_config(const std::string& text, const std::string& source) {
  if (nesting_depth(text) > kMaxNesting)
    return invalid_argument(source + ": nested more than " + std::to_string(kMaxNesting) +
                            " levels deep; a study configuration needs a handful");
  json doc;
  try {
    doc = json::parse(text);
  } catch (const json::exception& e) {
    // nlohmann's message reads "[json.exception.parse_error.101] parse error
    // at line 3, column 5: ..."; the bracketed id is noise for a user.
    std::string message = e.what();
    const size_t bracket = message.find("] ");
    if (message.rfind("[json.exception", 0) == 0 && bracket != std::string::npos) message = message.substr(bracket + 2);
    return invalid_argument(source + ": not valid JSON: " + message);
  }
  StudyConfig config;
  config.stages = all_stages();
  config.strategies = all_strategies();
  config.schemes = all_schemes();
  try {
    QL_RETURN_IF_ERROR(parse_document(doc, source, &config));
  } catch (const json::exception& e) {
    // Every access above checks the type first; this is a last guard so
    // that no input can escape as an exception.
    return invalid_argument(source + ": " + e.what());
  }
  return config;
}

bool is_builtin_profile(const std::string& profile) { return profile == "quick" || profile == "full"; }

StudyConfig builtin_study(const std::string& profile) { return profile == "full" ? full_study() : quick_study(); }

nlohmann::json config_to_json(const StudyConfig& config) {
  json doc = json::object();
  doc["name"] = config.name;
  doc["profile"] = config.profile;
  doc["seed"] = config.seed;
  json datasets = json::array();
  for (const DatasetConfig& d : config.datasets) {
    json entry = {{"name", d.name}, {"kind", dataset_kind_name(d.kind)}, {"samples", d.samples}};
    if (d.kind == DatasetKind::kHar) {
      entry["subjects"] = d.subjects;
    } else {
      entry["leads"] = d.leads;
      entry["length"] = d.length;
      entry["sample_rate_hz"] = d.sample_rate_hz;
    }
    datasets.push_back(entry);
  }
  doc["datasets"] = datasets;
  json models = json::array();
  for (const ModelConfig& m : config.models) {
    json entry = {{"family", m.family}, {"size", m.size},       {"arch", m.arch},
                  {"dataset", m.dataset}, {"width_scale", m.width_scale}};
    if (m.sparsity) entry["sparsity"] = *m.sparsity;
    if (m.factor_method) entry["factor_method"] = compress::factor_method_name(*m.factor_method);
    if (m.factor_rank) entry["factor_rank"] = *m.factor_rank;
    models.push_back(entry);
  }
  doc["models"] = models;
  json stages = json::array(), strategies = json::array(), schemes = json::array();
  for (Stage s : config.stages) stages.push_back(stage_name(s));
  for (Strategy s : config.strategies) strategies.push_back(strategy_name(s));
  for (Scheme s : config.schemes) schemes.push_back(scheme_name(s));
  doc["stages"] = stages;
  doc["strategies"] = strategies;
  doc["schemes"] = schemes;
  doc["training"] = {{"epochs", config.training.epochs},
                     {"batch_size", config.training.batch_size},
                     {"learning_rate", config.training.learning_rate},
                     {"patience", config.training.patience}};
  doc["pruning"] = {{"sparsity", config.pruning.sparsity},
                    {"initial_sparsity", config.pruning.initial_sparsity},
                    {"schedule", schedule_names()[static_cast<size_t>(config.pruning.schedule)]},
                    {"scope", scope_names()[static_cast<size_t>(config.pruning.scope)]},
                    {"ramp_epochs", config.pruning.ramp_epochs},
                    {"fine_tune_epochs", config.pruning.fine_tune_epochs},
                    {"mask_update_every", config.pruning.mask_update_every}};
  doc["factorization"] = {{"method", compress::factor_method_name(config.factorization.method)},
                          {"svd_fallback", config.factorization.svd_fallback},
                          {"rank", config.factorization.rank},
                          {"fine_tune_epochs", config.factorization.fine_tune_epochs}};
  doc["qat"] = {{"epochs", config.qat.epochs},
                {"learning_rate", config.qat.learning_rate},
                {"range_decay", config.qat.range_decay}};
  doc["calibration_samples"] = config.calibration_samples;
  doc["debug_samples"] = config.debug_samples;
  doc["eval_split"] = config.eval_split;
  doc["profile_notes"] = config.profile_notes;
  return doc;
}

Status restrict_to_families(StudyConfig* config, const std::vector<std::string>& families) {
  auto lower = [](std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
  };
  std::vector<std::string> known;
  for (const ModelConfig& m : config->models)
    if (std::find(known.begin(), known.end(), m.family) == known.end()) known.push_back(m.family);
  std::set<std::string> wanted;
  for (const std::string& f : families) {
    bool found = false;
    for (const std::string& k : known) found = found || lower(k) == lower(f);
    if (!found) return invalid_argument("--only: unknown family '" + f + "' (known: " + join(known) + ")");
    wanted.insert(lower(f));
  }
  std::vector<ModelConfig> kept;
  std::set<std::string> used_datasets;
  for (const ModelConfig& m : config->models) {
    if (wanted.count(lower(m.family)) == 0) continue;
    kept.push_back(m);
    used_datasets.insert(m.dataset);
  }
  config->models = kept;
  std::vector<DatasetConfig> datasets;
  for (const DatasetConfig& d : config->datasets)
    if (used_datasets.count(d.name) != 0) datasets.push_back(d);
  config->datasets = datasets;
  return Status::Ok();
}

}  // namespace quantlab::study
