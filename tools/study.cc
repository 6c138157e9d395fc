// quantlab study: the whole experiment from one configuration.
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "quantlab/core/file_io.h"
#include "quantlab/core/thread_pool.h"
#include "quantlab/study/config.h"
#include "quantlab/study/runner.h"
#include "subcommands.h"

namespace quantlab::cli {
namespace {

struct StudyArgs {
  std::string config_path;
  std::string profile;
  std::string out = "out";
  int jobs = 0;
  std::vector<std::string> only;
  bool quiet = false;
  std::string report_dir;
  std::string config_profile = "quick";
};

Result<study::StudyConfig> load_config(const StudyArgs& args) {
  if (!args.config_path.empty() && !args.profile.empty())
    return invalid_argument("give either --config or --profile, not both");
  if (!args.config_path.empty()) {
    QL_ASSIGN_OR_RETURN(const std::string text, read_text_file(args.config_path));
    return study::parse_study_config(text, args.config_path);
  }
  const std::string profile = args.profile.empty() ? "quick" : args.profile;
  if (!study::is_builtin_profile(profile))
    return invalid_argument("unknown profile '" + profile + "' (known: quick, full)");
  return study::builtin_study(profile);
}

Status run(const StudyArgs& args) {
  QL_ASSIGN_OR_RETURN(study::StudyConfig config, load_config(args));
  if (!args.only.empty()) QL_RETURN_IF_ERROR(study::restrict_to_families(&config, args.only));
  study::StudyOptions options;
  options.out_dir = args.out;
  options.jobs = args.jobs > 0 ? args.jobs : ThreadPool::hardware_threads();
  options.progress = !args.quiet;
  const size_t pipelines =
      config.models.size() * config.stages.size() * config.strategies.size() * config.schemes.size();
  std::printf("study '%s' (%s profile): %zu models, %zu pipelines, %d jobs, output in %s\n", config.name.c_str(),
              config.profile.c_str(), config.models.size(), pipelines, options.jobs, args.out.c_str());
  std::fflush(stdout);
  QL_ASSIGN_OR_RETURN(const study::StudyRun result, study::run_study(config, options));
  std::printf("steps: %d run, %d cached, %d failed of %d; pipelines: %zu, %d failed; %.1f s\n", result.steps.run,
              result.steps.cached, result.steps.failed, result.steps.total, result.results.pipelines.size(),
              result.failed_pipelines, result.results.wall_seconds);
  for (const auto& p : result.results.pipelines)
    if (!p.error.empty()) std::printf("  failed %s: %s\n", p.id.c_str(), p.error.c_str());
  std::printf("report: %s (and %s); results: %s/results.json, %s/results.csv\n", result.report_html_path.c_str(),
              result.report_markdown_path.c_str(), args.out.c_str(), args.out.c_str());
  if (result.failed_pipelines > 0)
    return invalid_argument(std::to_string(result.failed_pipelines) + " of " +
                            std::to_string(result.results.pipelines.size()) +
                            " pipelines failed (listed above; the report has the rest)");
  return Status::Ok();
}

}  // namespace

void register_study(CLI::App& app) {
  auto args = std::make_shared<StudyArgs>();
  auto* cmd = app.add_subcommand(
      "study",
      "Run the whole study: train, prune and factorize every model, convert it with every scheme (PTQ and QAT), "
      "evaluate, debug and report");
  cmd->footer(
      "Examples:\n"
      "  quantlab study                          the quick profile into out/ (minutes on two cores)\n"
      "  quantlab study --profile full           the original study's sizes (hours)\n"
      "  quantlab study config > my.json         the quick configuration as JSON, to edit\n"
      "  quantlab study --config my.json --out out-mine --only SmartWatch\n"
      "  quantlab study report out               re-render out/report.md and out/report.html from results.json\n"
      "\n"
      "Every step is cached in OUT/cache by the content of what it depends on: rerunning, or running after a\n"
      "crash or Ctrl-C, redoes only what is missing or what a changed setting affects. The exit code is 1 when\n"
      "any pipeline failed; results and reports are written either way. docs/study.md documents every key.");
  cmd->add_option("--config", args->config_path, "Study configuration (JSON); see `quantlab study config`");
  cmd->add_option("--profile", args->profile, "Built-in configuration: quick (default) or full")
      ->check(CLI::IsMember({"quick", "full"}));
  cmd->add_option("--out", args->out, "Output directory (default out)");
  cmd->add_option("--jobs", args->jobs, "Steps run at once (default: one per core)")->check(non_negative_number());
  cmd->add_option("--only", args->only, "Run only these model families (e.g. SmartWatch BSPC-GAP)");
  cmd->add_flag("--quiet", args->quiet, "No progress display");

  auto* report = cmd->add_subcommand("report", "Re-render report.md and report.html of DIR from its results.json");
  report->add_option("dir", args->report_dir, "A study's output directory")->required();
  report->callback([args] {
    auto written = study::rerender_reports(args->report_dir);
    if (!written.ok()) return fail("study report", written.status());
    for (const std::string& path : *written) std::printf("wrote %s\n", path.c_str());
  });

  auto* config = cmd->add_subcommand("config", "Print a built-in configuration as JSON (copy it, edit it, --config it)");
  config->add_option("--profile", args->config_profile, "quick (default) or full")
      ->check(CLI::IsMember({"quick", "full"}));
  config->callback([args] {
    std::printf("%s\n", study::config_to_json(study::builtin_study(args->config_profile)).dump(2).c_str());
  });

  cmd->require_subcommand(0, 1);
  cmd->callback([args, cmd] {
    if (!cmd->get_subcommands().empty()) return;
    const Status s = run(*args);
    if (!s.ok()) fail("study", s);
  });
}

}  // namespace quantlab::cli
