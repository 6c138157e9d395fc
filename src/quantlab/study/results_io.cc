// results.json and results.csv. JSON cannot hold NaN or infinity, so
// non-finite numbers are written as null and read back as NaN (an
// undefined statistic, such as the top-1 agreement of a one-output model).
#include <cmath>
#include <cstdio>
#include <limits>
#include <sstream>

#include "quantlab/study/results_io.h"

namespace quantlab::study {

namespace {

using nlohmann::json;

constexpr const char* kFormat = "quantlab-study-results";
constexpr int kVersion = 1;

json number(double v) { return std::isfinite(v) ? json(v) : json(nullptr); }

json metrics_json(const std::vector<Metric>& metrics) {
  json out = json::array();
  for (const Metric& m : metrics)
    out.push_back({{"name", m.name}, {"value", number(m.value)}, {"higher_is_better", m.higher_is_better}});
  return out;
}

json stat_map_json(const std::map<std::string, double>& stats) {
  json out = json::object();
  for (const auto& [name, value] : stats) out[name] = number(value);
  return out;
}

json stage_model_json(const StageModel& m) {
  json layers = json::array();
  for (const LayerIndexEntry& l : m.layers)
    layers.push_back({{"index", l.index}, {"op", l.op_name}, {"output", l.output_name}, {"shape", l.output_shape}});
  return {{"family", m.family},
          {"size", m.size},
          {"arch", m.arch},
          {"stage", stage_name(m.stage)},
          {"strategy", strategy_name(m.strategy)},
          {"path", m.path},
          {"parameters", m.parameters},
          {"nonzero_parameters", m.nonzero_parameters},
          {"macs", m.macs},
          {"file_bytes", m.file_bytes},
          {"deflated_bytes", m.deflated_bytes},
          {"sparsity", number(m.sparsity)},
          {"layers", layers},
          {"notes", m.notes},
          {"error", m.error}};
}

json tensors_json(const TensorAnalysis& t) {
  json by_dtype = json::array();
  for (const DtypeCount& d : t.by_dtype)
    by_dtype.push_back({{"dtype", d.dtype},
                        {"tensors", d.tensors},
                        {"constant_tensors", d.constant_tensors},
                        {"constant_bytes", d.constant_bytes}});
  return {{"by_dtype", by_dtype},
          {"activation_tensors", t.activation_tensors},
          {"quantized_activations", t.quantized_activations},
          {"weight_tensors", t.weight_tensors},
          {"quantized_weights", t.quantized_weights},
          {"kept_float", t.kept_float}};
}

json debug_json(const DebugSummary& d) {
  json layers = json::array();
  for (const DebugLayer& l : d.layers)
    layers.push_back({{"layer", l.layer},
                      {"op", l.op_name},
                      {"tensor", l.tensor_name},
                      {"propagated", stat_map_json(l.propagated)},
                      {"isolated", stat_map_json(l.isolated)}});
  return {{"csv_path", d.csv_path},
          {"json_path", d.json_path},
          {"md_path", d.md_path},
          {"html_path", d.html_path},
          {"samples", d.samples},
          {"output_mse", number(d.output_mse)},
          {"top1_agreement", number(d.top1_agreement)},
          {"statistics", d.statistics},
          {"layers", layers},
          {"worst_layers", d.worst_layers}};
}

json pipeline_json(const PipelineResult& p) {
  json out = {{"id", p.id},
              {"family", p.family},
              {"size", p.size},
              {"arch", p.arch},
              {"stage", stage_name(p.stage)},
              {"strategy", strategy_name(p.strategy)},
              {"scheme", scheme_name(p.scheme)},
              {"model_path", p.model_path},
              {"file_bytes", p.file_bytes},
              {"task", task_name(p.task)},
              {"metrics", metrics_json(p.metrics)},
              {"plain_cast_metrics", metrics_json(p.plain_cast_metrics)},
              {"plain_cast_inputs", p.plain_cast_inputs ? json{{"values", p.plain_cast_inputs->values},
                                                                 {"changed", p.plain_cast_inputs->changed},
                                                                 {"wrapped", p.plain_cast_inputs->wrapped}}
                                                          : json(nullptr)},
              {"eval_seconds", number(p.eval_seconds)},
              {"eval_samples", p.eval_samples},
              {"tensors", p.tensors ? tensors_json(*p.tensors) : json(nullptr)},
              {"debug", p.debug ? debug_json(*p.debug) : json(nullptr)},
              {"error", p.error},
              {"cached", p.cached}};
  return out;
}

// Reading: every accessor checks the type and names the path on error.
class Reader {
 public:
  explicit Reader(const std::string& source) : source_(source) {}

  Status fail(const std::string& path, const std::string& what) const {
    return invalid_argument(source_ + ": " + path + ": " + what);
  }
  const json* member(const json& obj, const std::string& path, const char* key, Status* status) const {
    if (!obj.is_object()) {
      *status = fail(path, "expected an object");
      return nullptr;
    }
    auto it = obj.find(key);
    if (it == obj.end()) {
      *status = fail(path + "." + key, "missing");
      return nullptr;
    }
    return &*it;
  }
  Status string(const json& obj, const std::string& path, const char* key, std::string* out) const {
    Status s;
    const json* v = member(obj, path, key, &s);
    if (v == nullptr) return s;
    if (!v->is_string()) return fail(path + "." + key, "expected a string");
    *out = v->get<std::string>();
    return Status::Ok();
  }
  Status integer(const json& obj, const std::string& path, const char* key, int64_t* out) const {
    Status s;
    const json* v = member(obj, path, key, &s);
    if (v == nullptr) return s;
    if (!v->is_number_integer()) return fail(path + "." + key, "expected an integer");
    *out = v->get<int64_t>();
    return Status::Ok();
  }
  Status real(const json& obj, const std::string& path, const char* key, double* out) const {
    Status s;
    const json* v = member(obj, path, key, &s);
    if (v == nullptr) return s;
    if (v->is_null()) {
      *out = std::numeric_limits<double>::quiet_NaN();
      return Status::Ok();
    }
    if (!v->is_number()) return fail(path + "." + key, "expected a number or null");
    *out = v->get<double>();
    return Status::Ok();
  }
  Status boolean(const json& obj, const std::string& path, const char* key, bool* out) const {
    Status s;
    const json* v = member(obj, path, key, &s);
    if (v == nullptr) return s;
    if (!v->is_boolean()) return fail(path + "." + key, "expected true or false");
    *out = v->get<bool>();
    return Status::Ok();
  }
  Status strings(const json& obj, const std::string& path, const char* key, std::vector<std::string>* out) const {
    Status s;
    const json* v = member(obj, path, key, &s);
    if (v == nullptr) return s;
    if (!v->is_array()) return fail(path + "." + key, "expected a list of strings");
    out->clear();
    for (const json& e : *v) {
      if (!e.is_string()) return fail(path + "." + key, "expected a list of strings");
      out->push_back(e.get<std::string>());
    }
    return Status::Ok();
  }
  Status array(const json& obj, const std::string& path, const char* key, const json** out) const {
    Status s;
    const json* v = member(obj, path, key, &s);
    if (v == nullptr) return s;
    if (!v->is_array()) return fail(path + "." + key, "expected a list");
    *out = v;
    return Status::Ok();
  }
  Status stat_map(const json& obj, const std::string& path, const char* key, std::map<std::string, double>* out) const {
    Status s;
    const json* v = member(obj, path, key, &s);
    if (v == nullptr) return s;
    if (!v->is_object()) return fail(path + "." + key, "expected an object");
    for (auto it = v->begin(); it != v->end(); ++it) {
      if (it->is_null()) (*out)[it.key()] = std::numeric_limits<double>::quiet_NaN();
      else if (it->is_number()) (*out)[it.key()] = it->get<double>();
      else return fail(path + "." + key + "." + it.key(), "expected a number or null");
    }
    return Status::Ok();
  }

 private:
  const std::string& source_;
};

Status read_stage(const Reader& r, const json& j, const std::string& path, Stage* out) {
  std::string name;
  QL_RETURN_IF_ERROR(r.string(j, path, "stage", &name));
  const auto stage = stage_from_name(name);
  if (!stage) return r.fail(path + ".stage", "unknown stage '" + name + "'");
  *out = *stage;
  return Status::Ok();
}

Status read_strategy(const Reader& r, const json& j, const std::string& path, Strategy* out) {
  std::string name;
  QL_RETURN_IF_ERROR(r.string(j, path, "strategy", &name));
  const auto strategy = strategy_from_name(name);
  if (!strategy) return r.fail(path + ".strategy", "unknown strategy '" + name + "'");
  *out = *strategy;
  return Status::Ok();
}

Status read_stage_model(const Reader& r, const json& j, const std::string& path, StageModel* m) {
  QL_RETURN_IF_ERROR(r.string(j, path, "family", &m->family));
  QL_RETURN_IF_ERROR(r.string(j, path, "size", &m->size));
  QL_RETURN_IF_ERROR(r.string(j, path, "arch", &m->arch));
  QL_RETURN_IF_ERROR(read_stage(r, j, path, &m->stage));
  QL_RETURN_IF_ERROR(read_strategy(r, j, path, &m->strategy));
  QL_RETURN_IF_ERROR(r.string(j, path, "path", &m->path));
  QL_RETURN_IF_ERROR(r.integer(j, path, "parameters", &m->parameters));
  QL_RETURN_IF_ERROR(r.integer(j, path, "nonzero_parameters", &m->nonzero_parameters));
  QL_RETURN_IF_ERROR(r.integer(j, path, "macs", &m->macs));
  QL_RETURN_IF_ERROR(r.integer(j, path, "file_bytes", &m->file_bytes));
  QL_RETURN_IF_ERROR(r.integer(j, path, "deflated_bytes", &m->deflated_bytes));
  QL_RETURN_IF_ERROR(r.real(j, path, "sparsity", &m->sparsity));
  const json* layers = nullptr;
  QL_RETURN_IF_ERROR(r.array(j, path, "layers", &layers));
  for (size_t i = 0; i < layers->size(); ++i) {
    const std::string where = path + ".layers[" + std::to_string(i) + "]";
    LayerIndexEntry e;
    int64_t index = 0;
    QL_RETURN_IF_ERROR(r.integer((*layers)[i], where, "index", &index));
    e.index = static_cast<int32_t>(index);
    QL_RETURN_IF_ERROR(r.string((*layers)[i], where, "op", &e.op_name));
    QL_RETURN_IF_ERROR(r.string((*layers)[i], where, "output", &e.output_name));
    QL_RETURN_IF_ERROR(r.string((*layers)[i], where, "shape", &e.output_shape));
    m->layers.push_back(e);
  }
  QL_RETURN_IF_ERROR(r.strings(j, path, "notes", &m->notes));
  return r.string(j, path, "error", &m->error);
}

Status read_tensors(const Reader& r, const json& j, const std::string& path, TensorAnalysis* t) {
  const json* by_dtype = nullptr;
  QL_RETURN_IF_ERROR(r.array(j, path, "by_dtype", &by_dtype));
  for (size_t i = 0; i < by_dtype->size(); ++i) {
    const std::string where = path + ".by_dtype[" + std::to_string(i) + "]";
    DtypeCount d;
    QL_RETURN_IF_ERROR(r.string((*by_dtype)[i], where, "dtype", &d.dtype));
    QL_RETURN_IF_ERROR(r.integer((*by_dtype)[i], where, "tensors", &d.tensors));
    QL_RETURN_IF_ERROR(r.integer((*by_dtype)[i], where, "constant_tensors", &d.constant_tensors));
    QL_RETURN_IF_ERROR(r.integer((*by_dtype)[i], where, "constant_bytes", &d.constant_bytes));
    t->by_dtype.push_back(d);
  }
  QL_RETURN_IF_ERROR(r.integer(j, path, "activation_tensors", &t->activation_tensors));
  QL_RETURN_IF_ERROR(r.integer(j, path, "quantized_activations", &t->quantized_activations));
  QL_RETURN_IF_ERROR(r.integer(j, path, "weight_tensors", &t->weight_tensors));
  QL_RETURN_IF_ERROR(r.integer(j, path, "quantized_weights", &t->quantized_weights));
  return r.strings(j, path, "kept_float", &t->kept_float);
}

Status read_debug(const Reader& r, const json& j, const std::string& path, DebugSummary* d) {
  QL_RETURN_IF_ERROR(r.string(j, path, "csv_path", &d->csv_path));
  QL_RETURN_IF_ERROR(r.string(j, path, "json_path", &d->json_path));
  QL_RETURN_IF_ERROR(r.string(j, path, "md_path", &d->md_path));
  QL_RETURN_IF_ERROR(r.string(j, path, "html_path", &d->html_path));
  QL_RETURN_IF_ERROR(r.integer(j, path, "samples", &d->samples));
  QL_RETURN_IF_ERROR(r.real(j, path, "output_mse", &d->output_mse));
  QL_RETURN_IF_ERROR(r.real(j, path, "top1_agreement", &d->top1_agreement));
  QL_RETURN_IF_ERROR(r.strings(j, path, "statistics", &d->statistics));
  const json* layers = nullptr;
  QL_RETURN_IF_ERROR(r.array(j, path, "layers", &layers));
  for (size_t i = 0; i < layers->size(); ++i) {
    const std::string where = path + ".layers[" + std::to_string(i) + "]";
    DebugLayer l;
    int64_t index = 0;
    QL_RETURN_IF_ERROR(r.integer((*layers)[i], where, "layer", &index));
    l.layer = static_cast<int32_t>(index);
    QL_RETURN_IF_ERROR(r.string((*layers)[i], where, "op", &l.op_name));
    QL_RETURN_IF_ERROR(r.string((*layers)[i], where, "tensor", &l.tensor_name));
    QL_RETURN_IF_ERROR(r.stat_map((*layers)[i], where, "propagated", &l.propagated));
    QL_RETURN_IF_ERROR(r.stat_map((*layers)[i], where, "isolated", &l.isolated));
    d->layers.push_back(l);
  }
  return r.strings(j, path, "worst_layers", &d->worst_layers);
}

Status read_metrics(const Reader& r, const json& j, const std::string& path, const char* key,
                    std::vector<Metric>* out) {
  const json* metrics = nullptr;
  QL_RETURN_IF_ERROR(r.array(j, path, key, &metrics));
  for (size_t i = 0; i < metrics->size(); ++i) {
    const std::string where = path + "." + key + "[" + std::to_string(i) + "]";
    Metric m{"", 0.0, true};
    QL_RETURN_IF_ERROR(r.string((*metrics)[i], where, "name", &m.name));
    QL_RETURN_IF_ERROR(r.real((*metrics)[i], where, "value", &m.value));
    QL_RETURN_IF_ERROR(r.boolean((*metrics)[i], where, "higher_is_better", &m.higher_is_better));
    out->push_back(m);
  }
  return Status::Ok();
}

}  // namespace

Status read_pipeline_json(const nlohmann::json& j, const std::string& path, const std::string& source,
                          PipelineResult* p) {
  const Reader r(source);
  QL_RETURN_IF_ERROR(r.string(j, path, "id", &p->id));
  QL_RETURN_IF_ERROR(r.string(j, path, "family", &p->family));
  QL_RETURN_IF_ERROR(r.string(j, path, "size", &p->size));
  QL_RETURN_IF_ERROR(r.string(j, path, "arch", &p->arch));
  QL_RETURN_IF_ERROR(read_stage(r, j, path, &p->stage));
  QL_RETURN_IF_ERROR(read_strategy(r, j, path, &p->strategy));
  std::string scheme;
  QL_RETURN_IF_ERROR(r.string(j, path, "scheme", &scheme));
  const auto parsed_scheme = scheme_from_name(scheme);
  if (!parsed_scheme) return r.fail(path + ".scheme", "unknown scheme '" + scheme + "'");
  p->scheme = *parsed_scheme;
  QL_RETURN_IF_ERROR(r.string(j, path, "model_path", &p->model_path));
  QL_RETURN_IF_ERROR(r.integer(j, path, "file_bytes", &p->file_bytes));
  std::string task;
  QL_RETURN_IF_ERROR(r.string(j, path, "task", &task));
  const auto parsed_task = task_from_name(task);
  if (!parsed_task) return r.fail(path + ".task", "unknown task '" + task + "'");
  p->task = *parsed_task;
  QL_RETURN_IF_ERROR(read_metrics(r, j, path, "metrics", &p->metrics));
  // The plain-cast metrics came later than version 1's first files; absent
  // means not computed.
  if (j.is_object() && j.contains("plain_cast_metrics"))
    QL_RETURN_IF_ERROR(read_metrics(r, j, path, "plain_cast_metrics", &p->plain_cast_metrics));
  if (j.is_object() && j.contains("plain_cast_inputs") && !j["plain_cast_inputs"].is_null()) {
    PlainCastInputs inputs;
    const std::string where = path + ".plain_cast_inputs";
    QL_RETURN_IF_ERROR(r.integer(j["plain_cast_inputs"], where, "values", &inputs.values));
    QL_RETURN_IF_ERROR(r.integer(j["plain_cast_inputs"], where, "changed", &inputs.changed));
    QL_RETURN_IF_ERROR(r.integer(j["plain_cast_inputs"], where, "wrapped", &inputs.wrapped));
    p->plain_cast_inputs = inputs;
  }
  QL_RETURN_IF_ERROR(r.real(j, path, "eval_seconds", &p->eval_seconds));
  QL_RETURN_IF_ERROR(r.integer(j, path, "eval_samples", &p->eval_samples));
  Status s;
  if (const json* t = r.member(j, path, "tensors", &s); t != nullptr && !t->is_null()) {
    TensorAnalysis analysis;
    QL_RETURN_IF_ERROR(read_tensors(r, *t, path + ".tensors", &analysis));
    p->tensors = analysis;
  } else if (t == nullptr) {
    return s;
  }
  if (const json* d = r.member(j, path, "debug", &s); d != nullptr && !d->is_null()) {
    DebugSummary summary;
    QL_RETURN_IF_ERROR(read_debug(r, *d, path + ".debug", &summary));
    p->debug = summary;
  } else if (d == nullptr) {
    return s;
  }
  QL_RETURN_IF_ERROR(r.string(j, path, "error", &p->error));
  return r.boolean(j, path, "cached", &p->cached);
}

nlohmann::json pipeline_to_json(const PipelineResult& pipeline) { return pipeline_json(pipeline); }
nlohmann::json stage_model_to_json(const StageModel& model) { return stage_model_json(model); }

Status read_stage_model_json(const nlohmann::json& j, const std::string& path, const std::string& source,
                             StageModel* model) {
  return read_stage_model(Reader(source), j, path, model);
}

nlohmann::json results_to_json(const StudyResults& results) {
  json models = json::array(), pipelines = json::array();
  for (const StageModel& m : results.models) models.push_back(stage_model_json(m));
  for (const PipelineResult& p : results.pipelines) pipelines.push_back(pipeline_json(p));
  json datasets = json::object();
  for (const auto& [family, how] : results.datasets) datasets[family] = how;
  return {{"format", kFormat},
          {"version", kVersion},
          {"name", results.name},
          {"profile", results.profile},
          {"config", results.config},
          {"started_at", results.started_at},
          {"wall_seconds", number(results.wall_seconds)},
          {"jobs", results.jobs},
          {"steps", {{"total", results.steps_total},
                     {"run", results.steps_run},
                     {"cached", results.steps_cached},
                     {"failed", results.steps_failed}}},
          {"profile_notes", results.profile_notes},
          {"datasets", datasets},
          {"models", models},
          {"pipelines", pipelines}};
}

Result<StudyResults> results_from_json(const nlohmann::json& j, const std::string& source) {
  const Reader r(source);
  std::string format;
  QL_RETURN_IF_ERROR(r.string(j, "results", "format", &format));
  if (format != kFormat) return r.fail("results.format", "expected '" + std::string(kFormat) + "', got '" + format + "'");
  int64_t version = 0;
  QL_RETURN_IF_ERROR(r.integer(j, "results", "version", &version));
  if (version != kVersion)
    return r.fail("results.version", "version " + std::to_string(version) + " is not supported (this build reads " +
                                         std::to_string(kVersion) + ")");
  StudyResults out;
  QL_RETURN_IF_ERROR(r.string(j, "results", "name", &out.name));
  QL_RETURN_IF_ERROR(r.string(j, "results", "profile", &out.profile));
  Status s;
  const json* config = r.member(j, "results", "config", &s);
  if (config == nullptr) return s;
  out.config = *config;
  QL_RETURN_IF_ERROR(r.string(j, "results", "started_at", &out.started_at));
  QL_RETURN_IF_ERROR(r.real(j, "results", "wall_seconds", &out.wall_seconds));
  int64_t jobs = 1;
  QL_RETURN_IF_ERROR(r.integer(j, "results", "jobs", &jobs));
  out.jobs = static_cast<int>(jobs);
  // The step counts came later than version 1's first files; absent means unknown (0).
  if (const auto steps = j.find("steps"); steps != j.end()) {
    int64_t total = 0, run = 0, cached = 0, failed = 0;
    QL_RETURN_IF_ERROR(r.integer(*steps, "results.steps", "total", &total));
    QL_RETURN_IF_ERROR(r.integer(*steps, "results.steps", "run", &run));
    QL_RETURN_IF_ERROR(r.integer(*steps, "results.steps", "cached", &cached));
    QL_RETURN_IF_ERROR(r.integer(*steps, "results.steps", "failed", &failed));
    out.steps_total = static_cast<int>(total);
    out.steps_run = static_cast<int>(run);
    out.steps_cached = static_cast<int>(cached);
    out.steps_failed = static_cast<int>(failed);
  }
  QL_RETURN_IF_ERROR(r.strings(j, "results", "profile_notes", &out.profile_notes));
  const json* datasets = r.member(j, "results", "datasets", &s);
  if (datasets == nullptr) return s;
  if (!datasets->is_object()) return r.fail("results.datasets", "expected an object");
  for (auto it = datasets->begin(); it != datasets->end(); ++it) {
    if (!it->is_string()) return r.fail("results.datasets." + it.key(), "expected a string");
    out.datasets[it.key()] = it->get<std::string>();
  }
  const json* models = nullptr;
  QL_RETURN_IF_ERROR(r.array(j, "results", "models", &models));
  for (size_t i = 0; i < models->size(); ++i) {
    StageModel m;
    QL_RETURN_IF_ERROR(read_stage_model(r, (*models)[i], "results.models[" + std::to_string(i) + "]", &m));
    out.models.push_back(std::move(m));
  }
  const json* pipelines = nullptr;
  QL_RETURN_IF_ERROR(r.array(j, "results", "pipelines", &pipelines));
  for (size_t i = 0; i < pipelines->size(); ++i) {
    PipelineResult p;
    QL_RETURN_IF_ERROR(read_pipeline_json((*pipelines)[i], "results.pipelines[" + std::to_string(i) + "]", source, &p));
    out.pipelines.push_back(std::move(p));
  }
  return out;
}

namespace {

// RFC 4180 quoting: fields holding a comma, quote or line break are quoted,
// with quotes doubled.
std::string csv_field(const std::string& text) {
  if (text.find_first_of(",\"\r\n") == std::string::npos) return text;
  std::string out = "\"";
  for (char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string csv_number(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  char text[40];
  std::snprintf(text, sizeof(text), "%.17g", v);
  return text;
}

}  // namespace

std::string results_csv(const StudyResults& results) {
  std::ostringstream out;
  out << "pipeline,family,size,arch,stage,strategy,scheme,task,metric,value,model_path,file_bytes,error\n";
  for (const PipelineResult& p : results.pipelines) {
    const std::string prefix = csv_field(p.id) + "," + csv_field(p.family) + "," + csv_field(p.size) + "," +
                               csv_field(p.arch) + "," + stage_name(p.stage) + "," + strategy_name(p.strategy) + "," +
                               scheme_name(p.scheme) + "," + task_name(p.task) + ",";
    const std::string suffix =
        "," + csv_field(p.model_path) + "," + std::to_string(p.file_bytes) + "," + csv_field(p.error) + "\n";
    // A failed pipeline still gets one row, so that it is not silently
    // missing from a table built from the CSV.
    if (p.metrics.empty()) out << prefix << "," << suffix;
    for (const Metric& m : p.metrics) out << prefix << csv_field(m.name) << "," << csv_number(m.value) << suffix;
  }
  return out.str();
}

}  // namespace quantlab::study
