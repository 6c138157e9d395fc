// The study engine: turns a StudyConfig into a work graph of steps, runs
// the steps on a pool of workers, caches each step's artefacts by content,
// and assembles StudyResults and the output directory.
//
// Steps, per model of the config:
//   train      (original stage)  zoo model trained on its synthetic dataset
//   prune      (pruned stage)    from train: magnitude pruning + fine-tuning
//   factorize  (final stage)     from prune: dense layers low-rank factorized
//                                (tensor train, SVD where it cannot apply),
//                                fine-tuned keeping the pruning zeros
//   qat        per stage         from the stage model: quantization-aware
//                                fine-tuning, giving the QAT float model and
//                                its learned ranges
//   pipeline   per stage, strategy and scheme: conversion, evaluation,
//                                tensor analysis and (quantized schemes) the
//                                layer debugger against the float model
//
// Caching: a step's key hashes its kind, the configuration values it
// depends on, the keys of the steps it reads, and a format version. Its
// artefacts live in <out>/cache/<key>/, and its completion record
// (<out>/cache/<key>/done.json) is written last, atomically, after every
// artefact; a step with a complete record is never run again. A kill at any
// moment therefore leaves each step either complete or to be redone.
// Published copies of the models and debugger files go to
// <out>/models/<family>/<arch>/<stage>/<strategy>/.
#pragma once

#include <string>

#include "quantlab/core/status.h"
#include "quantlab/study/config.h"
#include "quantlab/study/results.h"

namespace quantlab::study {

struct StudyOptions {
  std::string out_dir = "out";
  int jobs = 0;           // concurrent steps; <= 0: one per core
  bool progress = true;   // the live display on stderr
};

struct StepCounts {
  int total = 0;
  int run = 0;     // executed in this run
  int cached = 0;  // complete from an earlier run
  int failed = 0;  // failed, or not run because a step they need failed
};

struct StudyRun {
  StudyResults results;
  StepCounts steps;
  int failed_pipelines = 0;
  std::string report_markdown_path;  // inside the output directory
  std::string report_html_path;
};

// Runs the study and writes every output (models/, results.json,
// results.csv, report.md, report.html, study.json) into options.out_dir.
// Failed steps do not make this an error: their pipelines carry the
// message, and failed_pipelines counts them. Errors: the output directory
// cannot be written, a dataset cannot be generated.
Result<StudyRun> run_study(const StudyConfig& config, const StudyOptions& options);

// Re-renders report.md and report.html of `out_dir` from its results.json.
// Returns the paths written ("DIR/report.md", "DIR/report.html").
Result<std::vector<std::string>> rerender_reports(const std::string& out_dir);

}  // namespace quantlab::study
