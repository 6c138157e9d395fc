// `quantlab data import` and its helpers: shape and split parsing,
// stratified seeded splits, normalization statistics taken from the train
// split only (checked against a naive double-precision computation and
// against numpy reading the written files), CSV and .npy-pair sources, and
// errors that name what is wrong.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <map>

#include "quantlab/core/file_io.h"
#include "quantlab/data/dataset.h"
#include "quantlab/data/import.h"
#include "quantlab/data/test_python.h"
#include "support/cli_runner.h"

namespace quantlab {
namespace {

namespace fs = std::filesystem;
using test_support::run_cli;

// n samples of `features` values; x[i][f] = (i * 7 + f * 3) % 11 + f, y[i] = i % classes.
Dataset make_dataset(int32_t n, int32_t features, int32_t classes) {
  Dataset d;
  d.x = Array::zeros(DType::kFloat32, {n, features});
  d.y = Array::zeros(DType::kInt32, {n});
  for (int32_t i = 0; i < n; ++i) {
    for (int32_t f = 0; f < features; ++f) d.x.data<float>()[i * features + f] = static_cast<float>((i * 7 + f * 3) % 11 + f);
    d.y.data<int32_t>()[i] = i % classes;
  }
  return d;
}

std::map<int32_t, int> class_counts(const Dataset& d) {
  std::map<int32_t, int> counts;
  for (int64_t i = 0; i < d.size(); ++i) ++counts[d.y.data<int32_t>()[i]];
  return counts;
}

TEST(ByodImportTest, ParsesShapes) {
  auto comma = parse_sample_shape("8,8,1");
  ASSERT_TRUE(comma.ok()) << comma.status().message();
  EXPECT_EQ(*comma, (Shape{8, 8, 1}));
  auto times = parse_sample_shape("128x9x1");
  ASSERT_TRUE(times.ok()) << times.status().message();
  EXPECT_EQ(*times, (Shape{128, 9, 1}));
  for (const char* bad : {"8,,1", "0,8", "a,8", "8,-1", "", "99999999999"}) {
    auto r = parse_sample_shape(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_NE(r.status().message().find("positive integer"), std::string::npos) << r.status().message();
  }
}

TEST(ByodImportTest, ParsesSplitFractions) {
  SplitOptions options;
  ASSERT_TRUE(parse_split_fractions("0.7,0.15,0.15", &options).ok());
  EXPECT_NEAR(options.train_fraction, 0.7, 1e-12);
  EXPECT_NEAR(options.val_fraction, 0.15, 1e-12);
  EXPECT_NEAR(options.test_fraction, 0.15, 1e-12);
  EXPECT_NE(parse_split_fractions("0.7,0.3", &options).message().find("three fractions"), std::string::npos);
  EXPECT_NE(parse_split_fractions("0.7,0.2,0.2", &options).message().find("sum to"), std::string::npos);
  EXPECT_NE(parse_split_fractions("1.5,-0.25,-0.25", &options).message().find("not a fraction"), std::string::npos);
  EXPECT_NE(parse_split_fractions("0.5,x,0.5", &options).message().find("\"x\""), std::string::npos);
}

TEST(ByodImportTest, StratifiedSplitKeepsClassProportions) {
  // 10 classes x 20 samples; 0.7/0.15/0.15 of 20 is 14/3/3 in every class.
  ImportOptions options;
  options.sample_shape = {2, 2, 1};
  ASSERT_TRUE(parse_split_fractions("0.7,0.15,0.15", &options.split).ok());
  options.split.seed = 5;
  auto splits = prepare_import(make_dataset(200, 4, 10), options);
  ASSERT_TRUE(splits.ok()) << splits.status().message();
  EXPECT_EQ(splits->train.x.shape, (Shape{140, 2, 2, 1}));
  EXPECT_EQ(splits->val.x.shape, (Shape{30, 2, 2, 1}));
  EXPECT_EQ(splits->test.x.shape, (Shape{30, 2, 2, 1}));
  for (const auto& [label, count] : class_counts(splits->train)) EXPECT_EQ(count, 14) << "class " << label;
  for (const auto& [label, count] : class_counts(splits->val)) EXPECT_EQ(count, 3) << "class " << label;
  for (const auto& [label, count] : class_counts(splits->test)) EXPECT_EQ(count, 3) << "class " << label;
  EXPECT_FALSE(splits->train.normalization.has_value());

  // The same seed gives the same split; another seed a different one.
  auto again = prepare_import(make_dataset(200, 4, 10), options);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->test.x.bytes, splits->test.x.bytes);
  options.split.seed = 6;
  auto other = prepare_import(make_dataset(200, 4, 10), options);
  ASSERT_TRUE(other.ok());
  EXPECT_NE(other->test.x.bytes, splits->test.x.bytes);
}

TEST(ByodImportTest, NormalizesEverySplitWithTrainStatistics) {
  ImportOptions options;
  options.sample_shape = {3, 2};  // channels: the 2 features at even / odd positions
  options.split.seed = 3;
  const Dataset all = make_dataset(60, 6, 3);
  auto raw = prepare_import(all, options);
  ASSERT_TRUE(raw.ok()) << raw.status().message();
  options.normalize = true;
  auto normalized = prepare_import(all, options);
  ASSERT_TRUE(normalized.ok()) << normalized.status().message();

  // Naive population mean/std per channel of the raw train split.
  const int64_t train_values = raw->train.x.num_elements();
  double mean[2] = {0, 0}, sq[2] = {0, 0};
  for (int64_t i = 0; i < train_values; ++i) mean[i % 2] += raw->train.x.data<float>()[i];
  for (double& m : mean) m /= static_cast<double>(train_values / 2);
  for (int64_t i = 0; i < train_values; ++i) {
    const double d = raw->train.x.data<float>()[i] - mean[i % 2];
    sq[i % 2] += d * d;
  }
  const double stddev[2] = {std::sqrt(sq[0] / static_cast<double>(train_values / 2)),
                            std::sqrt(sq[1] / static_cast<double>(train_values / 2))};

  const Dataset* raw_parts[] = {&raw->train, &raw->val, &raw->test};
  const Dataset* norm_parts[] = {&normalized->train, &normalized->val, &normalized->test};
  for (int p = 0; p < 3; ++p) {
    ASSERT_TRUE(norm_parts[p]->normalization.has_value()) << "split " << p;
    const NormalizationStats& stats = *norm_parts[p]->normalization;
    ASSERT_EQ(stats.mean.size(), 2u);
    for (int c = 0; c < 2; ++c) {
      EXPECT_NEAR(stats.mean[c], mean[c], 1e-5) << "split " << p << " channel " << c;
      EXPECT_NEAR(stats.std[c], stddev[c], 1e-5) << "split " << p << " channel " << c;
    }
    const int64_t n = raw_parts[p]->x.num_elements();
    ASSERT_EQ(n, norm_parts[p]->x.num_elements());
    for (int64_t i = 0; i < n; ++i) {
      const double expected = (raw_parts[p]->x.data<float>()[i] - mean[i % 2]) / stddev[i % 2];
      ASSERT_NEAR(norm_parts[p]->x.data<float>()[i], expected, 1e-5) << "split " << p << " value " << i;
    }
  }
}

TEST(ByodImportTest, RefusesAShapeOfTheWrongSize) {
  ImportOptions options;
  options.sample_shape = {3, 3, 1};
  auto r = prepare_import(make_dataset(20, 8, 2), options);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("--shape [3, 3, 1]"), std::string::npos) << r.status().message();
}

TEST(ByodImportTest, KeepsAnExistingRecordAndRefusesToNormalizeTwice) {
  Dataset d = make_dataset(20, 4, 2);
  d.normalization = NormalizationStats{{1, 2, 3, 4}, {1, 1, 2, 2}};
  ImportOptions options;
  auto kept = prepare_import(d, options);
  ASSERT_TRUE(kept.ok()) << kept.status().message();
  ASSERT_TRUE(kept->test.normalization.has_value());
  EXPECT_EQ(kept->test.normalization->mean, (std::vector<float>{1, 2, 3, 4}));
  options.normalize = true;
  auto twice = prepare_import(d, options);
  ASSERT_FALSE(twice.ok());
  EXPECT_NE(twice.status().message().find("already normalized"), std::string::npos) << twice.status().message();
}

class ByodImportCliTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_FALSE(dir_.path().empty()) << "cannot create a temporary directory"; }

  void python(const std::string& body) {
    auto r = testing::run_python_snippet("import numpy as np\nd = " + testing::python_literal(dir_.path()) + "\n" +
                                         body);
    ASSERT_EQ(r.exit_code, 0) << "system python failed:\n" << r.output;
  }

  testing::ScratchDir dir_;
};

TEST_F(ByodImportCliTest, ImportsACsvAndNumpyAgreesWithTheFiles) {
  // 40 samples, 4 features, label column in the middle, names as text.
  std::string csv = "a,b,label,c,d\n";
  const char* names[] = {"cat", "dog"};
  for (int i = 0; i < 40; ++i)
    csv += std::to_string(i % 7) + "," + std::to_string(i * 0.5) + "," + names[i % 2] + "," +
           std::to_string((i * 3) % 5) + "," + std::to_string(10 - i) + "\n";
  ASSERT_TRUE(write_file_atomic(dir_.file("pets.csv"), csv).ok());
  const std::string out = dir_.file("pets");
  auto r = run_cli({"data", "import", dir_.file("pets.csv"), "--label-columns", "label", "--shape", "2,2",
                    "--split", "0.5,0.25,0.25", "--seed", "9", "--normalize", "-o", out});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("imported 40 samples"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("stratified"), std::string::npos) << r.out;
  for (const char* f : {"train.npz", "val.npz", "test.npz", "README.txt"}) EXPECT_TRUE(fs::exists(out + "/" + f)) << f;

  // numpy: every file carries the same statistics, they are the mean/std of
  // the train split's un-normalized values (recovered as x * std + mean, which
  // must reproduce the CSV's values), and the train x is centred.
  python(
      "import csv\n"
      "rows = list(csv.reader(open(d + '/pets.csv')))[1:]\n"
      "feats = sorted(tuple(float(v) for v in (r[0], r[1], r[3], r[4])) for r in rows)\n"
      "parts = {s: np.load(d + '/pets/' + s + '.npz') for s in ('train', 'val', 'test')}\n"
      "m, s = parts['train']['norm_mean'], parts['train']['norm_std']\n"
      "assert m.shape == (2,) and s.shape == (2,), (m.shape, s.shape)\n"
      "for p in parts.values():\n"
      "    assert np.array_equal(p['norm_mean'], m) and np.array_equal(p['norm_std'], s)\n"
      "    assert p['x'].shape[1:] == (2, 2), p['x'].shape\n"
      "    assert list(p['label_names']) == ['cat', 'dog'], p['label_names']\n"
      "assert [len(parts[k]['y']) for k in ('train', 'val', 'test')] == [20, 10, 10]\n"
      "for k in ('train', 'val', 'test'): assert np.bincount(parts[k]['y']).tolist() == [len(parts[k]['y']) // 2] * 2\n"
      "raw = {k: parts[k]['x'].astype(np.float64) * s + m for k in parts}\n"
      "got = sorted(tuple(np.round(v, 4)) for k in raw for v in raw[k].reshape(-1, 4))\n"
      "assert np.allclose(np.array(got), np.array(feats), atol=1e-3), 'values differ from the CSV'\n"
      "t = raw['train'].reshape(-1, 2)\n"
      "assert np.allclose(m, t.mean(axis=0), atol=1e-4) and np.allclose(s, t.std(axis=0), atol=1e-4), (m, s)\n"
      "assert np.allclose(parts['train']['x'].reshape(-1, 2).mean(axis=0), 0, atol=1e-5)\n");
}

TEST_F(ByodImportCliTest, ImportsAnNpyPairWithMultiHotLabels) {
  python(
      "rng = np.random.default_rng(1)\n"
      "np.save(d + '/x.npy', rng.normal(size=(30, 12)).astype(np.float32))\n"
      "np.save(d + '/y.npy', (rng.random((30, 3)) < 0.5).astype(np.uint8))\n");
  const std::string out = dir_.file("ml");
  auto r = run_cli({"data", "import", dir_.file("x.npy"), "--labels", dir_.file("y.npy"), "--shape", "4x3x1",
                    "--split", "0.6,0.2,0.2", "-o", out});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(r.out.find("stratified"), std::string::npos) << r.out;
  python(
      "x, y = np.load(d + '/x.npy'), np.load(d + '/y.npy')\n"
      "parts = [np.load(d + '/ml/' + s + '.npz') for s in ('train', 'val', 'test')]\n"
      "assert [len(p['x']) for p in parts] == [18, 6, 6]\n"
      "assert all(p['x'].shape[1:] == (4, 3, 1) and p['y'].shape[1:] == (3,) for p in parts)\n"
      "assert all('norm_mean' not in p.files for p in parts)\n"
      "flat = np.concatenate([p['x'].reshape(-1, 12) for p in parts])\n"
      "labels = np.concatenate([p['y'] for p in parts])\n"
      "order = [int(np.flatnonzero((x == row).all(axis=1))[0]) for row in flat]\n"
      "assert sorted(order) == list(range(30)), 'samples lost or duplicated'\n"
      "assert np.array_equal(labels, y[order]), 'labels no longer match their samples'\n");
}

TEST_F(ByodImportCliTest, ErrorsNameTheProblem) {
  ASSERT_TRUE(write_file_atomic(dir_.file("small.csv"), "a,b,c,y\n1,2,3,0\n4,5,6,1\n").ok());
  auto shape = run_cli({"data", "import", dir_.file("small.csv"), "--shape", "2,2,1", "-o", dir_.file("o1")});
  EXPECT_EQ(shape.exit_code, 1);
  EXPECT_NE(shape.err.find("--shape [2, 2, 1]"), std::string::npos) << shape.err;
  auto column = run_cli({"data", "import", dir_.file("small.csv"), "--label-columns", "label", "-o", dir_.file("o2")});
  EXPECT_EQ(column.exit_code, 1);
  EXPECT_NE(column.err.find("label"), std::string::npos) << column.err;
  auto no_labels = run_cli({"data", "import", dir_.file("x.npy"), "-o", dir_.file("o3")});
  EXPECT_EQ(no_labels.exit_code, 1);
  EXPECT_NE(no_labels.err.find("--labels"), std::string::npos) << no_labels.err;
  auto split = run_cli({"data", "import", dir_.file("small.csv"), "--split", "0.9,0.9,0.1", "-o", dir_.file("o4")});
  EXPECT_EQ(split.exit_code, 1);
  EXPECT_NE(split.err.find("sum to"), std::string::npos) << split.err;
  EXPECT_FALSE(fs::exists(dir_.file("o1")));
}

}  // namespace
}  // namespace quantlab
