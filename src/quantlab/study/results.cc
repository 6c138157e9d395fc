#include "quantlab/study/results.h"

#include <cmath>
#include <limits>

namespace quantlab::study {

const std::vector<Stage>& all_stages() {
  static const std::vector<Stage> stages = {Stage::kOriginal, Stage::kPruned, Stage::kFinal};
  return stages;
}

const char* stage_name(Stage stage) {
  switch (stage) {
    case Stage::kOriginal: return "original";
    case Stage::kPruned: return "pruned";
    case Stage::kFinal: return "final";
  }
  return "?";
}

const char* stage_display_name(Stage stage) {
  switch (stage) {
    case Stage::kOriginal: return "Before pruning";
    case Stage::kPruned: return "Before LRF (pruned)";
    case Stage::kFinal: return "Final (pruned + LRF)";
  }
  return "?";
}

std::optional<Stage> stage_from_name(const std::string& name) {
  for (Stage s : all_stages())
    if (name == stage_name(s)) return s;
  return std::nullopt;
}

const std::vector<Strategy>& all_strategies() {
  static const std::vector<Strategy> strategies = {Strategy::kPtq, Strategy::kQat};
  return strategies;
}

const char* strategy_name(Strategy strategy) { return strategy == Strategy::kPtq ? "ptq" : "qat"; }

const char* strategy_display_name(Strategy strategy) {
  return strategy == Strategy::kPtq ? "Post-training quantization (PTQ)" : "Quantization-aware training (QAT)";
}

std::optional<Strategy> strategy_from_name(const std::string& name) {
  for (Strategy s : all_strategies())
    if (name == strategy_name(s)) return s;
  return std::nullopt;
}

namespace {
double find_metric(const std::vector<Metric>& metrics, const std::string& name) {
  for (const Metric& m : metrics)
    if (m.name == name) return m.value;
  return std::numeric_limits<double>::quiet_NaN();
}
}  // namespace

double PipelineResult::metric(const std::string& name) const { return find_metric(metrics, name); }

double PipelineResult::plain_cast_metric(const std::string& name) const {
  return find_metric(plain_cast_metrics, name);
}

}  // namespace quantlab::study
