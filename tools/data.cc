// `quantlab data`: dataset utilities. `data synth` writes the synthetic HAR
// and ECG datasets that stand in for the study's data; `data import` turns a
// user's own CSV or .npy pair into the same train/val/test layout.
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "quantlab/data/import.h"
#include "quantlab/data/synth.h"
#include "subcommands.h"

namespace quantlab::cli {
namespace {

struct SynthArgs {
  std::string kind;
  uint64_t seed = 1;
  int64_t count = 0;  // 0: the generator's default
  std::string out_dir;
  int leads = 12;
  int length = 500;
  double rate = 100.0;
};

std::string format_number(double v) {
  char text[32];
  std::snprintf(text, sizeof(text), "%g", v);
  return text;
}

void print_split(const char* name, const Dataset& d) {
  std::printf("  %-5s %6lld samples, x %s, y %s\n", name, static_cast<long long>(d.size()),
              shape_to_string(d.x.shape).c_str(), shape_to_string(d.y.shape).c_str());
}

Status run_synth(const SynthArgs& args) {
  DatasetSplits splits;
  std::string description;
  if (args.kind == "har") {
    synth::HarOptions o;
    o.seed = args.seed;
    if (args.count > 0) o.num_windows = args.count;
    QL_ASSIGN_OR_RETURN(splits, synth::generate_har(o));
    description = "Kind: har (wrist-worn human activity recognition), seed " + std::to_string(args.seed) + ", " +
                  std::to_string(o.num_windows) + " windows from " + std::to_string(o.num_subjects) +
                  " simulated subjects; subject-disjoint splits.\n"
                  "x: [N, 100, 6, 1] = 2 s at 50 Hz x (acc_x, acc_y, acc_z in m/s^2 with gravity; gyro_x, gyro_y, "
                  "gyro_z in rad/s).\ny: class index (walking, running, stairs_up, stairs_down, sitting, lying).";
  } else if (args.kind == "ecg") {
    synth::EcgOptions o;
    o.seed = args.seed;
    if (args.count > 0) o.num_records = args.count;
    o.leads = args.leads;
    o.length = args.length;
    o.sample_rate_hz = args.rate;
    QL_ASSIGN_OR_RETURN(splits, synth::generate_ecg(o));
    std::string leads;
    for (int i = 0; i < o.leads; ++i) leads += (i ? ", " : "") + synth::ecg_lead_names()[i];
    description = "Kind: ecg (multi-label ECG from a dipole beat model), seed " + std::to_string(args.seed) + ", " +
                  std::to_string(o.num_records) + " records; random 80/10/10 splits.\nx: [N, " +
                  std::to_string(o.length) + ", " + std::to_string(o.leads) + ", 1] = samples at " +
                  format_number(o.sample_rate_hz) + " Hz x leads (" + leads +
                  "), in mV.\ny: multi-hot (NORM, CD, STTC, HYP, ECT).";
  } else {
    return invalid_argument("--kind " + args.kind + ": choose har or ecg");
  }
  QL_RETURN_IF_ERROR(synth::write_splits(args.out_dir, splits, description));
  std::printf("SYNTHETIC %s data (seed %llu) written to %s:\n", args.kind.c_str(),
              static_cast<unsigned long long>(args.seed), args.out_dir.c_str());
  print_split("train", splits.train);
  print_split("val", splits.val);
  print_split("test", splits.test);
  return Status::Ok();
}

struct ImportArgs {
  std::string input;
  std::string labels;  // y .npy when input is an x .npy
  std::vector<std::string> label_columns;
  std::string shape;
  std::string split = "0.7,0.15,0.15";
  uint64_t seed = 1;
  bool normalize = false;
  std::string out_dir;
};

Result<Dataset> read_import_source(const ImportArgs& args) {
  const std::string ext = std::filesystem::path(args.input).extension().string();
  if (ext == ".npy") {
    if (args.labels.empty()) return invalid_argument(args.input + ": an x .npy needs its labels: --labels Y.npy");
    return read_dataset_npy_pair(args.input, args.labels);
  }
  if (!args.labels.empty()) return invalid_argument("--labels goes with an x .npy input, not " + args.input);
  if (ext == ".csv") {
    CsvOptions csv;
    csv.label_columns = args.label_columns;
    return read_dataset_csv(args.input, csv);
  }
  if (!args.label_columns.empty()) return invalid_argument("--label-columns goes with a .csv input, not " + args.input);
  if (ext == ".npz") return read_dataset_npz(args.input);
  return invalid_argument(args.input + ": give a .csv, an .npz, or an x .npy with --labels Y.npy");
}

Status run_import(const ImportArgs& args) {
  ImportOptions options;
  if (!args.shape.empty()) {
    QL_ASSIGN_OR_RETURN(options.sample_shape, parse_sample_shape(args.shape));
  }
  QL_RETURN_IF_ERROR(parse_split_fractions(args.split, &options.split));
  options.split.seed = args.seed;
  options.normalize = args.normalize;
  QL_ASSIGN_OR_RETURN(Dataset all, read_import_source(args));
  const int64_t total = all.size();
  QL_ASSIGN_OR_RETURN(const DatasetSplits splits, prepare_import(std::move(all), options));
  const bool stratified = splits.train.label_kind() == LabelKind::kClassIndex;
  std::string provenance = "Imported by quantlab data import from " + args.input +
                           (args.labels.empty() ? "" : " and " + args.labels) + ": " + std::to_string(total) +
                           " samples, split " + args.split + (stratified ? " stratified by class" : "") +
                           " with seed " + std::to_string(args.seed) + ".";
  if (!options.sample_shape.empty()) provenance += "\nEach sample reshaped (C order) to " + shape_to_string(options.sample_shape) + ".";
  QL_RETURN_IF_ERROR(write_import(args.out_dir, splits, provenance));
  std::printf("imported %lld samples from %s into %s (split %s%s, seed %llu):\n", static_cast<long long>(total),
              args.input.c_str(), args.out_dir.c_str(), args.split.c_str(), stratified ? ", stratified" : "",
              static_cast<unsigned long long>(args.seed));
  print_split("train", splits.train);
  print_split("val", splits.val);
  print_split("test", splits.test);
  if (splits.train.normalization) {
    const NormalizationStats& stats = *splits.train.normalization;
    std::printf("  normalized with the train split's statistics over %zu channel%s", stats.mean.size(),
                stats.mean.size() == 1 ? "" : "s");
    if (stats.mean.size() == 1) std::printf(" (mean %g, std %g)", stats.mean[0], stats.std[0]);
    std::printf("\n");
  }
  return Status::Ok();
}

void register_import(CLI::App* data) {
  auto args = std::make_shared<ImportArgs>();
  auto* cmd = data->add_subcommand("import", "Split your own CSV or .npy data into train/val/test .npz files");
  cmd->footer(
      "A CSV has a header row; every column that is not a label is a numeric feature, in file order.\n"
      "One label column gives class indices (integers, or texts numbered in sorted order); several give\n"
      "multi-hot labels. Without --label-columns the last column is the label.\n"
      "--shape reinterprets each sample's features (C order), e.g. 64 pixels as 8,8,1 or 1152 values as 128,9,1.\n"
      "The split is seeded and, for class labels, stratified. --normalize computes per-channel mean/std\n"
      "(the last axis of --shape) on the train split only, applies them to every split and stores them\n"
      "in each .npz (norm_mean, norm_std) so later data can be normalized the same way.\n\n"
      "Examples:\n"
      "  quantlab data import digits.csv --label-columns label --shape 8,8,1 --normalize -o digits/\n"
      "  quantlab data import x.npy --labels y.npy --shape 128,9,1 --split 0.8,0.1,0.1 --seed 3 -o har/");
  cmd->add_option("input", args->input, "Data: a .csv with a header, an .npz (x, y), or an x .npy with --labels")
      ->required();
  cmd->add_option("--labels", args->labels, "Labels .npy (int class indices [N] or 0/1 multi-hot [N, L]) for an x .npy");
  cmd->add_option("--label-columns", args->label_columns, "CSV label columns by header name (default: the last column)")
      ->delimiter(',');
  cmd->add_option("--shape", args->shape, "Sample shape H,W,C the features are reshaped to (default: as read)");
  cmd->add_option("--split", args->split, "Train,val,test fractions (default 0.7,0.15,0.15)");
  cmd->add_option("--seed", args->seed, "Seed of the split (the same seed gives the same files; default 1)");
  cmd->add_flag("--normalize", args->normalize, "Normalize per channel with statistics of the train split");
  cmd->add_option("-o,--output", args->out_dir, "Output directory for train.npz, val.npz, test.npz")->required();
  cmd->callback([args] {
    const Status s = run_import(*args);
    if (!s.ok()) fail("data import", s);
  });
}

}  // namespace

void register_data(CLI::App& app) {
  auto* cmd = app.add_subcommand("data", "Dataset utilities");
  cmd->require_subcommand(1);
  auto args = std::make_shared<SynthArgs>();
  auto* synth = cmd->add_subcommand("synth", "Write a SYNTHETIC dataset (har or ecg) as train/val/test .npz files");
  synth->add_option("--kind", args->kind, "har (wrist-worn activity windows) or ecg (multi-label ECG)")
      ->required()
      ->check(CLI::IsMember({"har", "ecg"}));
  synth->add_option("--seed", args->seed, "Generator seed (the same seed gives the same files)");
  synth->add_option("-n", args->count, "Samples over all splits (default: har 6000, ecg 4000)")
      ->check(positive_number());
  synth->add_option("-o,--output", args->out_dir, "Output directory")->required();
  synth->add_option("--leads", args->leads, "ecg: leads, 1-12 (I, II, III, aVR, aVL, aVF, V1-V6 in that order)");
  synth->add_option("--length", args->length, "ecg: samples per record (default 500)");
  synth->add_option("--rate", args->rate, "ecg: sample rate in Hz (default 100)");
  synth->callback([args] {
    const Status s = run_synth(*args);
    if (!s.ok()) fail("data synth", s);
  });
  register_import(cmd);
}

}  // namespace quantlab::cli
