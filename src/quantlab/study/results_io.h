// Single records of results.json, for the runner's per-step completion
// records (a pipeline's result and a stage model are stored with the step
// that made them, in the same form results.json uses).
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "quantlab/core/status.h"
#include "quantlab/study/results.h"

namespace quantlab::study {

nlohmann::json pipeline_to_json(const PipelineResult& pipeline);
nlohmann::json stage_model_to_json(const StageModel& model);

// `path` names the record inside `source` in errors ("pipelines[3]").
Status read_pipeline_json(const nlohmann::json& json, const std::string& path, const std::string& source,
                          PipelineResult* pipeline);
Status read_stage_model_json(const nlohmann::json& json, const std::string& path, const std::string& source,
                             StageModel* model);

}  // namespace quantlab::study
