// `quantlab factorize`: low-rank factorization of dense layers (truncated
// SVD into two dense layers, or a two-core tensor train executed as
// RESHAPE / BATCH_MATMUL / TRANSPOSE / ADD), fine-tuned afterwards. Several
// ranks make a grid: one model per rank and a table of parameters, MACs and
// accuracy with the Pareto front marked.
#include <cstdio>
#include <filesystem>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "quantlab/compress/factorize.h"
#include "quantlab/compress/prune.h"
#include "quantlab/core/file_io.h"
#include "quantlab/data/dataset.h"
#include "quantlab/ir/analysis.h"
#include "quantlab/tflite/reader.h"
#include "quantlab/tflite/writer.h"
#include "quantlab/train/trainable_graph.h"
#include "quantlab/train/trainer.h"
#include "subcommands.h"
#include "training_args.h"

namespace quantlab::cli {
namespace {

struct FactorizeArgs {
  TrainingArgs training{"", 15, 64, 1e-3, 1, 0, 5};
  std::string model;
  std::string output;
  std::string method = "svd";
  std::vector<int32_t> ranks;
  std::vector<int32_t> ops;
  std::vector<int32_t> in_factors;
  std::vector<int32_t> out_factors;
};

struct GridRow {
  int32_t rank = 0;
  int64_t parameters = 0;
  int64_t macs = 0;
  double accuracy = 0;
  double relative_error = 0;  // largest over the factorized layers
  std::string file;
  bool pareto = false;
};

// A row is on the front when no other row has at most its parameters and at
// least its accuracy with one of the two strictly better.
void mark_pareto(std::vector<GridRow>* rows) {
  for (GridRow& r : *rows) {
    r.pareto = true;
    for (const GridRow& o : *rows) {
      const bool no_worse = o.parameters <= r.parameters && o.accuracy >= r.accuracy;
      const bool better = o.parameters < r.parameters || o.accuracy > r.accuracy;
      if (no_worse && better) r.pareto = false;
    }
  }
}

Status run_factorize(const FactorizeArgs& args) {
  if (args.ranks.empty()) return invalid_argument("give at least one rank with --ranks");
  const int threads = train::configure_threads(args.training.threads);
  QL_ASSIGN_OR_RETURN(const TrainingSplits data, load_training_splits(args.training.data, args.training.seed));
  const Dataset& eval_data = data.has_test ? data.test : data.val;
  const char* eval_name = data.has_test ? "test" : "val";
  QL_ASSIGN_OR_RETURN(const Graph original, read_tflite_file(args.model));
  QL_ASSIGN_OR_RETURN(const train::EvalStats base, train::evaluate_graph(original, eval_data));
  const ModelSummary base_summary = summarize(original);
  std::printf("model: %s, %lld parameters, %lld MACs, %s accuracy %.4f; %s factorization, %d thread%s\n",
              args.model.c_str(), static_cast<long long>(base_summary.parameter_count),
              static_cast<long long>(base_summary.total_macs), eval_name, base.accuracy, args.method.c_str(), threads,
              threads == 1 ? "" : "s");

  compress::FactorizeOptions options;
  options.method = args.method == "tt" ? compress::FactorMethod::kTensorTrain : compress::FactorMethod::kSvd;
  options.ops = args.ops;
  if (!args.in_factors.empty()) {
    if (args.in_factors.size() != 2) return invalid_argument("--in-factors takes two numbers M1 M2");
    options.in_factors = {args.in_factors[0], args.in_factors[1]};
  }
  if (!args.out_factors.empty()) {
    if (args.out_factors.size() != 2) return invalid_argument("--out-factors takes two numbers N1 N2");
    options.out_factors = {args.out_factors[0], args.out_factors[1]};
  }
  train::TrainOptions tuning = args.training.train_options();

  const bool grid = args.ranks.size() > 1;
  if (grid) std::filesystem::create_directories(args.output);
  std::vector<GridRow> rows;
  for (int32_t rank : args.ranks) {
    Graph graph = original;
    options.rank = rank;
    QL_ASSIGN_OR_RETURN(const std::vector<compress::FactorizedLayer> layers,
                        compress::factorize_dense_layers(&graph, options));
    GridRow row;
    row.rank = rank;
    for (const compress::FactorizedLayer& l : layers) {
      std::printf("rank %d: %s [%d x %d]", rank, l.name.c_str(), l.out, l.in);
      if (options.method == compress::FactorMethod::kTensorTrain)
        std::printf(" in %d x %d, out %d x %d", l.in_factors[0], l.in_factors[1], l.out_factors[0],
                    l.out_factors[1]);
      std::printf(": %lld -> %lld weights, truncation error %.4f\n", static_cast<long long>(l.weights_before),
                  static_cast<long long>(l.weights_after), l.relative_error);
      row.relative_error = std::max(row.relative_error, l.relative_error);
    }
    // A pruned model stays pruned: its zeros are held through fine-tuning.
    QL_ASSIGN_OR_RETURN(const train::TrainSummary tuned,
                        compress::fine_tune_keeping_zeros(&graph, data.train, data.val, nullptr, tuning));
    QL_ASSIGN_OR_RETURN(const train::EvalStats after, train::evaluate_graph(graph, eval_data));
    const ModelSummary s = summarize(graph);
    row.parameters = s.parameter_count;
    row.macs = s.total_macs;
    row.accuracy = after.accuracy;
    row.file = grid ? (std::filesystem::path(args.output) / ("rank_" + std::to_string(rank) + ".tflite")).string()
                    : args.output;
    graph.description += "; factorized by quantlab factorize (" + args.method + ", rank " + std::to_string(rank) +
                         ", fine-tuned " + std::to_string(tuned.best_epoch) + " epochs)";
    QL_RETURN_IF_ERROR(write_tflite_file(graph, row.file));
    rows.push_back(row);
  }
  mark_pareto(&rows);

  std::ostringstream csv;
  csv << "method,rank,parameters,macs," << eval_name << "_accuracy,truncation_error,pareto,file\n";
  csv << "original,-," << base_summary.parameter_count << "," << base_summary.total_macs << "," << base.accuracy
      << ",0,-," << args.model << "\n";
  std::printf("\n%-8s %6s %11s %9s %10s %10s  %s\n", "method", "rank", "parameters", "MACs", "accuracy", "trunc.err",
              "pareto");
  std::printf("%-8s %6s %11lld %9lld %10.4f %10s\n", "original", "-",
              static_cast<long long>(base_summary.parameter_count), static_cast<long long>(base_summary.total_macs),
              base.accuracy, "-");
  for (const GridRow& r : rows) {
    std::printf("%-8s %6d %11lld %9lld %10.4f %10.4f  %s\n", args.method.c_str(), r.rank,
                static_cast<long long>(r.parameters), static_cast<long long>(r.macs), r.accuracy, r.relative_error,
                r.pareto ? "*" : "");
    csv << args.method << "," << r.rank << "," << r.parameters << "," << r.macs << "," << r.accuracy << ","
        << r.relative_error << "," << (r.pareto ? "yes" : "no") << "," << r.file << "\n";
  }
  if (grid) {
    const std::string table = (std::filesystem::path(args.output) / "grid.csv").string();
    QL_RETURN_IF_ERROR(write_file_atomic(table, csv.str()));
    std::printf("wrote %zu models and %s\n", rows.size(), table.c_str());
  } else {
    std::printf("wrote %s\n", args.output.c_str());
  }
  return Status::Ok();
}

}  // namespace

void register_factorize(CLI::App& app) {
  auto args = std::make_shared<FactorizeArgs>();
  auto* cmd = app.add_subcommand("factorize", "Low-rank factorization of dense layers (svd or tensor train), fine-tuned");
  cmd->add_option("model", args->model, "Float .tflite model")->required();
  add_training_options(cmd, &args->training, "Fine-tuning epochs",
                       "Seed for shuffling and splitting", "Torch threads");
  cmd->add_option("-o,--output", args->output,
                  "Output .tflite (one rank) or directory (several ranks: rank_R.tflite and grid.csv)")
      ->required();
  cmd->add_option("--method", args->method, "svd (two dense layers) or tt (tensor train) (default svd)")
      ->check(CLI::IsMember({"svd", "tt"}));
  cmd->add_option("--ranks", args->ranks, "Rank(s); several ranks make a grid")->required()->check(positive_number());
  cmd->add_option("--ops", args->ops, "Op indices of the dense layers (default: every layer that gets smaller)");
  cmd->add_option("--in-factors", args->in_factors, "tt: M1 M2 with M1 * M2 = input features (default balanced)");
  cmd->add_option("--out-factors", args->out_factors, "tt: N1 N2 with N1 * N2 = output features (default balanced)");
  cmd->callback([args] {
    const Status s = run_factorize(*args);
    if (!s.ok()) fail("factorize", s);
  });
}

}  // namespace quantlab::cli
