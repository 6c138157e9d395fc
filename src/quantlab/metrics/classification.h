// Classification metrics with scikit-learn's definitions and zero-division
// conventions (its default zero_division="warn" scores an undefined ratio
// such as precision of a never-predicted class as 0).
//
// Multiclass metrics are computed from a confusion matrix, multilabel ones
// from per-label and per-sample counts, so an evaluation makes one pass over
// the predictions and every metric is read off the counts.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "quantlab/core/status.h"
#include "quantlab/data/npy.h"

namespace quantlab {

// Scores of one class (multiclass) or label column (multilabel).
struct ClassScores {
  double precision = 0;  // tp / (tp + fp), 0 if never predicted
  double recall = 0;     // tp / (tp + fn), 0 if never present
  double f1 = 0;         // 2pr / (p + r), 0 if p + r = 0
  double jaccard = 0;    // tp / (tp + fp + fn), 0 if neither present nor predicted
  int64_t support = 0;   // tp + fn: samples whose true label includes the class
};

// Precision, recall, F1 and Jaccard index under one averaging rule.
struct AveragedScores {
  double precision = 0;
  double recall = 0;
  double f1 = 0;
  double jaccard = 0;
};

// ---- Multiclass (one class index per sample) ---------------------------------

// counts[t * num_classes + p] = samples of true class t predicted as p
// (rows true, columns predicted, as sklearn.metrics.confusion_matrix).
struct ConfusionMatrix {
  int32_t num_classes = 0;
  std::vector<int64_t> counts;

  int64_t at(int32_t true_class, int32_t predicted_class) const {
    return counts[static_cast<size_t>(true_class) * static_cast<size_t>(num_classes) +
                  static_cast<size_t>(predicted_class)];
  }
  int64_t total() const;
  int64_t true_count(int32_t c) const;       // row sum: support
  int64_t predicted_count(int32_t c) const;  // column sum
};

// Builds the confusion matrix. Preconditions checked (error otherwise):
// num_classes >= 1, y_true.size() == y_pred.size(), every entry in
// [0, num_classes). The error names the first offending index and value.
Result<ConfusionMatrix> confusion_matrix(const std::vector<int32_t>& y_true, const std::vector<int32_t>& y_pred,
                                         int32_t num_classes);

enum class MulticlassAverage {
  kMacro,     // unweighted mean over classes
  kMicro,     // from the summed counts (equals accuracy for multiclass)
  kWeighted,  // mean weighted by support (0 if no class has support)
};

// Which classes a macro average runs over. kPresent is scikit-learn's
// default (labels=None): classes that occur in y_true or y_pred. kAll
// counts every class in [0, num_classes), so a class that is neither
// present nor predicted contributes scores of 0 (labels=range(K)). Micro
// and weighted averages do not depend on the choice.
enum class ClassSet { kPresent, kAll };

// For every function below taking a ConfusionMatrix: precondition
// cm.total() > 0; with no samples the ratios are undefined and NaN is returned.

// Fraction of samples whose prediction equals the true class.
double accuracy(const ConfusionMatrix& cm);

// Mean recall over the classes present in y_true (sklearn's
// balanced_accuracy_score: classes only predicted are left out).
double balanced_accuracy(const ConfusionMatrix& cm);

// Cohen's kappa, 1 - observed disagreement / chance disagreement. NaN when
// chance disagreement is 0 (every label and prediction is one class), as
// sklearn returns.
double cohen_kappa(const ConfusionMatrix& cm);

// Scores of every class 0..num_classes-1 (sklearn average=None with
// labels=range(num_classes)).
std::vector<ClassScores> per_class_scores(const ConfusionMatrix& cm);

AveragedScores averaged_scores(const ConfusionMatrix& cm, MulticlassAverage average = MulticlassAverage::kMacro,
                               ClassSet classes = ClassSet::kPresent);

// Scores of `positive_class` alone: sklearn's average="binary" with
// pos_label=positive_class, for a single-sigmoid model thresholded to
// {0, 1}. Precondition: 0 <= positive_class < cm.num_classes.
AveragedScores binary_scores(const ConfusionMatrix& cm, int32_t positive_class = 1);

struct MulticlassReport {
  ConfusionMatrix confusion;
  double accuracy = 0;
  double balanced_accuracy = 0;
  double cohen_kappa = 0;
  AveragedScores macro;     // over present classes (ClassSet::kPresent)
  AveragedScores micro;
  AveragedScores weighted;
  std::vector<ClassScores> per_class;  // every class 0..num_classes-1
};

// All of the above. Errors as confusion_matrix, plus an empty input.
Result<MulticlassReport> evaluate_multiclass(const std::vector<int32_t>& y_true, const std::vector<int32_t>& y_pred,
                                             int32_t num_classes);

// ---- Multilabel (multi-hot rows) ---------------------------------------------

// Per-label and per-sample counts of a multi-hot prediction.
struct MultilabelCounts {
  int64_t num_samples = 0;
  int32_t num_labels = 0;
  // Per label column.
  std::vector<int64_t> label_tp, label_fp, label_fn;
  // Per sample (row).
  std::vector<int64_t> sample_tp, sample_fp, sample_fn;
  int64_t exact_matches = 0;  // rows predicted exactly
};

// Counts a multi-hot prediction. Preconditions checked (error otherwise):
// y_true and y_pred are uint8, bool or int32 arrays of the same shape
// [N, L] with N, L >= 1 and every entry 0 or 1 (the error names the first
// offending row, column and value).
Result<MultilabelCounts> count_multilabel(const Array& y_true, const Array& y_pred);

enum class MultilabelAverage {
  kMacro,     // unweighted mean over label columns, empty columns included
  kMicro,     // from counts summed over all entries
  kWeighted,  // mean over columns weighted by support (0 if no positives)
  kSamples,   // mean over rows of each row's score
};

// Fraction of individual entries predicted correctly (1 - Hamming loss).
double binary_accuracy(const MultilabelCounts& counts);
// Fraction of individual entries predicted wrongly.
double hamming_loss(const MultilabelCounts& counts);
// Fraction of rows predicted exactly (sklearn's subset accuracy).
double exact_match_ratio(const MultilabelCounts& counts);
// Scores of every label column (sklearn average=None).
std::vector<ClassScores> per_label_scores(const MultilabelCounts& counts);
// Precision, recall, F1 and Jaccard (sklearn's jaccard_score with the same
// `average`) under one averaging rule.
AveragedScores averaged_scores(const MultilabelCounts& counts, MultilabelAverage average = MultilabelAverage::kMacro);

struct MultilabelReport {
  MultilabelCounts counts;
  double binary_accuracy = 0;
  double hamming_loss = 0;
  double exact_match_ratio = 0;
  AveragedScores macro;  // the headline average, Jaccard included
  AveragedScores micro;
  AveragedScores weighted;
  AveragedScores samples;
  std::vector<ClassScores> per_label;
};

// All of the above. Errors as count_multilabel.
Result<MultilabelReport> evaluate_multilabel(const Array& y_true, const Array& y_pred);

}  // namespace quantlab
