#include "quantlab/metrics/classification.h"

#include <limits>

namespace quantlab {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// sklearn's zero_division default: an undefined ratio scores 0.
double ratio_or_zero(int64_t numerator, int64_t denominator) {
  return denominator == 0 ? 0.0 : static_cast<double>(numerator) / static_cast<double>(denominator);
}

// F1 from precision and recall, the way sklearn forms it, so both round alike.
double f1_from(double precision, double recall) {
  const double denominator = precision + recall;
  return denominator == 0.0 ? 0.0 : 2.0 * precision * recall / denominator;
}

ClassScores scores_from_counts(int64_t tp, int64_t fp, int64_t fn) {
  ClassScores s;
  s.precision = ratio_or_zero(tp, tp + fp);
  s.recall = ratio_or_zero(tp, tp + fn);
  s.f1 = f1_from(s.precision, s.recall);
  s.jaccard = ratio_or_zero(tp, tp + fp + fn);
  s.support = tp + fn;
  return s;
}

AveragedScores micro_scores(int64_t tp, int64_t fp, int64_t fn) {
  const ClassScores s = scores_from_counts(tp, fp, fn);
  return AveragedScores{s.precision, s.recall, s.f1, s.jaccard};
}

// Unweighted mean of the selected classes' scores; 0 if none is selected.
AveragedScores macro_mean(const std::vector<ClassScores>& scores, const std::vector<bool>& selected) {
  AveragedScores out;
  int64_t n = 0;
  for (size_t c = 0; c < scores.size(); ++c) {
    if (!selected[c]) continue;
    out.precision += scores[c].precision;
    out.recall += scores[c].recall;
    out.f1 += scores[c].f1;
    out.jaccard += scores[c].jaccard;
    ++n;
  }
  if (n == 0) return AveragedScores{};
  const double d = static_cast<double>(n);
  return AveragedScores{out.precision / d, out.recall / d, out.f1 / d, out.jaccard / d};
}

// Support-weighted mean; sklearn scores 0 when no class has support.
AveragedScores support_weighted_mean(const std::vector<ClassScores>& scores) {
  AveragedScores out;
  int64_t total = 0;
  for (const auto& s : scores) {
    const double w = static_cast<double>(s.support);
    out.precision += w * s.precision;
    out.recall += w * s.recall;
    out.f1 += w * s.f1;
    out.jaccard += w * s.jaccard;
    total += s.support;
  }
  if (total == 0) return AveragedScores{};
  const double d = static_cast<double>(total);
  return AveragedScores{out.precision / d, out.recall / d, out.f1 / d, out.jaccard / d};
}

// Reads entry `i` of a multi-hot array as 0/1; false if it is neither.
bool read_binary_entry(const Array& a, int64_t i, uint8_t* out) {
  const double v = a.value_as_double(i);
  if (v != 0.0 && v != 1.0) return false;
  *out = v == 1.0;
  return true;
}

// Entries where prediction and truth differ: every false positive and negative.
int64_t wrong_entries(const MultilabelCounts& c) {
  int64_t wrong = 0;
  for (size_t l = 0; l < c.label_fp.size(); ++l) wrong += c.label_fp[l] + c.label_fn[l];
  return wrong;
}

}  // namespace

int64_t ConfusionMatrix::total() const {
  int64_t sum = 0;
  for (int64_t c : counts) sum += c;
  return sum;
}

int64_t ConfusionMatrix::true_count(int32_t c) const {
  int64_t sum = 0;
  for (int32_t p = 0; p < num_classes; ++p) sum += at(c, p);
  return sum;
}

int64_t ConfusionMatrix::predicted_count(int32_t c) const {
  int64_t sum = 0;
  for (int32_t t = 0; t < num_classes; ++t) sum += at(t, c);
  return sum;
}

Result<ConfusionMatrix> confusion_matrix(const std::vector<int32_t>& y_true, const std::vector<int32_t>& y_pred,
                                         int32_t num_classes) {
  if (num_classes < 1) return invalid_argument("num_classes must be >= 1, got " + std::to_string(num_classes));
  if (y_true.size() != y_pred.size())
    return invalid_argument(std::to_string(y_true.size()) + " true labels but " + std::to_string(y_pred.size()) +
                            " predictions");
  ConfusionMatrix cm;
  cm.num_classes = num_classes;
  cm.counts.assign(static_cast<size_t>(num_classes) * static_cast<size_t>(num_classes), 0);
  for (size_t i = 0; i < y_true.size(); ++i) {
    const int32_t t = y_true[i];
    const int32_t p = y_pred[i];
    if (t < 0 || t >= num_classes)
      return invalid_argument("true label " + std::to_string(i) + " is " + std::to_string(t) + ", outside [0, " +
                              std::to_string(num_classes) + ")");
    if (p < 0 || p >= num_classes)
      return invalid_argument("prediction " + std::to_string(i) + " is " + std::to_string(p) + ", outside [0, " +
                              std::to_string(num_classes) + ")");
    ++cm.counts[static_cast<size_t>(t) * static_cast<size_t>(num_classes) + static_cast<size_t>(p)];
  }
  return cm;
}

double accuracy(const ConfusionMatrix& cm) {
  const int64_t total = cm.total();
  if (total == 0) return kNaN;
  int64_t correct = 0;
  for (int32_t c = 0; c < cm.num_classes; ++c) correct += cm.at(c, c);
  return static_cast<double>(correct) / static_cast<double>(total);
}

double balanced_accuracy(const ConfusionMatrix& cm) {
  double sum = 0;
  int32_t present = 0;
  for (int32_t c = 0; c < cm.num_classes; ++c) {
    const int64_t support = cm.true_count(c);
    if (support == 0) continue;
    sum += static_cast<double>(cm.at(c, c)) / static_cast<double>(support);
    ++present;
  }
  return present == 0 ? kNaN : sum / present;
}

double cohen_kappa(const ConfusionMatrix& cm) {
  const int64_t n = cm.total();
  if (n == 0) return kNaN;
  int64_t agreements = 0;
  // sum_c rows_c * cols_c <= n^2, exact in int64 for any n below 3e9.
  int64_t chance_agreement_scaled = 0;
  for (int32_t c = 0; c < cm.num_classes; ++c) {
    agreements += cm.at(c, c);
    chance_agreement_scaled += cm.true_count(c) * cm.predicted_count(c);
  }
  const double observed_disagreement = static_cast<double>(n - agreements);
  // Expected disagreement in sample units: (n^2 - sum rows*cols) / n.
  const double chance_disagreement =
      static_cast<double>(n * n - chance_agreement_scaled) / static_cast<double>(n);
  if (chance_disagreement == 0.0) return kNaN;
  return 1.0 - observed_disagreement / chance_disagreement;
}

std::vector<ClassScores> per_class_scores(const ConfusionMatrix& cm) {
  std::vector<ClassScores> scores;
  for (int32_t c = 0; c < cm.num_classes; ++c) {
    const int64_t tp = cm.at(c, c);
    scores.push_back(scores_from_counts(tp, cm.predicted_count(c) - tp, cm.true_count(c) - tp));
  }
  return scores;
}

AveragedScores averaged_scores(const ConfusionMatrix& cm, MulticlassAverage average, ClassSet classes) {
  const std::vector<ClassScores> scores = per_class_scores(cm);
  switch (average) {
    case MulticlassAverage::kMacro: {
      std::vector<bool> selected(scores.size(), true);
      if (classes == ClassSet::kPresent)
        for (int32_t c = 0; c < cm.num_classes; ++c)
          selected[static_cast<size_t>(c)] = cm.true_count(c) > 0 || cm.predicted_count(c) > 0;
      return macro_mean(scores, selected);
    }
    case MulticlassAverage::kMicro: {
      // Every misclassification is one false positive (for the predicted
      // class) and one false negative (for the true class).
      int64_t tp = 0;
      for (int32_t c = 0; c < cm.num_classes; ++c) tp += cm.at(c, c);
      const int64_t wrong = cm.total() - tp;
      return micro_scores(tp, wrong, wrong);
    }
    case MulticlassAverage::kWeighted:
      return support_weighted_mean(scores);
  }
  return AveragedScores{};
}

AveragedScores binary_scores(const ConfusionMatrix& cm, int32_t positive_class) {
  if (positive_class < 0 || positive_class >= cm.num_classes) return AveragedScores{kNaN, kNaN, kNaN, kNaN};
  const ClassScores s = per_class_scores(cm)[static_cast<size_t>(positive_class)];
  return AveragedScores{s.precision, s.recall, s.f1, s.jaccard};
}

Result<MulticlassReport> evaluate_multiclass(const std::vector<int32_t>& y_true, const std::vector<int32_t>& y_pred,
                                             int32_t num_classes) {
  if (y_true.empty()) return invalid_argument("no samples to evaluate");
  QL_ASSIGN_OR_RETURN(ConfusionMatrix cm, confusion_matrix(y_true, y_pred, num_classes));
  MulticlassReport r;
  r.accuracy = accuracy(cm);
  r.balanced_accuracy = balanced_accuracy(cm);
  r.cohen_kappa = cohen_kappa(cm);
  r.macro = averaged_scores(cm, MulticlassAverage::kMacro, ClassSet::kPresent);
  r.micro = averaged_scores(cm, MulticlassAverage::kMicro);
  r.weighted = averaged_scores(cm, MulticlassAverage::kWeighted);
  r.per_class = per_class_scores(cm);
  r.confusion = std::move(cm);
  return r;
}

Result<MultilabelCounts> count_multilabel(const Array& y_true, const Array& y_pred) {
  for (const Array* a : {&y_true, &y_pred}) {
    const char* which = a == &y_true ? "true labels" : "predictions";
    if (a->dtype != DType::kUInt8 && a->dtype != DType::kBool && a->dtype != DType::kInt32)
      return invalid_argument(std::string(which) + " must be UINT8, BOOL or INT32 multi-hot, found " +
                              dtype_name(a->dtype));
    if (a->shape.size() != 2 || a->shape[0] < 1 || a->shape[1] < 1)
      return invalid_argument(std::string(which) + " must have shape [N, L] with N, L >= 1, found " +
                              shape_to_string(a->shape));
    if (!a->consistent()) return invalid_argument(std::string(which) + ": byte count does not match the shape");
  }
  if (y_true.shape != y_pred.shape)
    return invalid_argument("true labels have shape " + shape_to_string(y_true.shape) + " but predictions " +
                            shape_to_string(y_pred.shape));
  MultilabelCounts c;
  c.num_samples = y_true.shape[0];
  c.num_labels = y_true.shape[1];
  const size_t labels = static_cast<size_t>(c.num_labels);
  const size_t samples = static_cast<size_t>(c.num_samples);
  c.label_tp.assign(labels, 0);
  c.label_fp.assign(labels, 0);
  c.label_fn.assign(labels, 0);
  c.sample_tp.assign(samples, 0);
  c.sample_fp.assign(samples, 0);
  c.sample_fn.assign(samples, 0);
  for (size_t i = 0; i < samples; ++i) {
    bool exact = true;
    for (size_t l = 0; l < labels; ++l) {
      const int64_t index = static_cast<int64_t>(i * labels + l);
      uint8_t t, p;
      if (!read_binary_entry(y_true, index, &t))
        return invalid_argument("true labels row " + std::to_string(i) + " column " + std::to_string(l) + " is " +
                                std::to_string(y_true.value_as_double(index)) + ", not 0 or 1");
      if (!read_binary_entry(y_pred, index, &p))
        return invalid_argument("predictions row " + std::to_string(i) + " column " + std::to_string(l) + " is " +
                                std::to_string(y_pred.value_as_double(index)) + ", not 0 or 1");
      if (t && p) {
        ++c.label_tp[l];
        ++c.sample_tp[i];
      } else if (p) {
        ++c.label_fp[l];
        ++c.sample_fp[i];
      } else if (t) {
        ++c.label_fn[l];
        ++c.sample_fn[i];
      }
      exact = exact && t == p;
    }
    c.exact_matches += exact;
  }
  return c;
}

double hamming_loss(const MultilabelCounts& c) {
  const int64_t entries = c.num_samples * c.num_labels;
  return entries == 0 ? kNaN : static_cast<double>(wrong_entries(c)) / static_cast<double>(entries);
}

double binary_accuracy(const MultilabelCounts& c) {
  const int64_t entries = c.num_samples * c.num_labels;
  return entries == 0 ? kNaN : static_cast<double>(entries - wrong_entries(c)) / static_cast<double>(entries);
}

double exact_match_ratio(const MultilabelCounts& c) {
  return c.num_samples == 0 ? kNaN : static_cast<double>(c.exact_matches) / static_cast<double>(c.num_samples);
}

std::vector<ClassScores> per_label_scores(const MultilabelCounts& c) {
  std::vector<ClassScores> scores;
  for (size_t l = 0; l < static_cast<size_t>(c.num_labels); ++l)
    scores.push_back(scores_from_counts(c.label_tp[l], c.label_fp[l], c.label_fn[l]));
  return scores;
}

AveragedScores averaged_scores(const MultilabelCounts& c, MultilabelAverage average) {
  switch (average) {
    case MultilabelAverage::kMacro: {
      const auto scores = per_label_scores(c);
      return macro_mean(scores, std::vector<bool>(scores.size(), true));
    }
    case MultilabelAverage::kMicro: {
      int64_t tp = 0, fp = 0, fn = 0;
      for (size_t l = 0; l < static_cast<size_t>(c.num_labels); ++l) {
        tp += c.label_tp[l];
        fp += c.label_fp[l];
        fn += c.label_fn[l];
      }
      return micro_scores(tp, fp, fn);
    }
    case MultilabelAverage::kWeighted:
      return support_weighted_mean(per_label_scores(c));
    case MultilabelAverage::kSamples: {
      std::vector<ClassScores> rows;
      for (size_t i = 0; i < static_cast<size_t>(c.num_samples); ++i)
        rows.push_back(scores_from_counts(c.sample_tp[i], c.sample_fp[i], c.sample_fn[i]));
      return macro_mean(rows, std::vector<bool>(rows.size(), true));
    }
  }
  return AveragedScores{};
}

Result<MultilabelReport> evaluate_multilabel(const Array& y_true, const Array& y_pred) {
  QL_ASSIGN_OR_RETURN(MultilabelCounts counts, count_multilabel(y_true, y_pred));
  MultilabelReport r;
  r.binary_accuracy = binary_accuracy(counts);
  r.hamming_loss = hamming_loss(counts);
  r.exact_match_ratio = exact_match_ratio(counts);
  r.macro = averaged_scores(counts, MultilabelAverage::kMacro);
  r.micro = averaged_scores(counts, MultilabelAverage::kMicro);
  r.weighted = averaged_scores(counts, MultilabelAverage::kWeighted);
  r.samples = averaged_scores(counts, MultilabelAverage::kSamples);
  r.per_label = per_label_scores(counts);
  r.counts = std::move(counts);
  return r;
}

}  // namespace quantlab
