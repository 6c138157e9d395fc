// The synthetic generators: layout, determinism, and physical and
// physiological properties checked against the model they claim to follow
// (gravity's magnitude, gait cadence measured by NumPy's FFT, exclusive and
// co-occurring labels, ectopic beats).
#include "quantlab/data/synth.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "quantlab/data/test_python.h"

namespace quantlab::synth {
namespace {

HarOptions small_har(uint64_t seed = 7, int64_t windows = 360) {
  HarOptions o;
  o.seed = seed;
  o.num_windows = windows;
  return o;
}

EcgOptions small_ecg(uint64_t seed = 7, int64_t records = 200) {
  EcgOptions o;
  o.seed = seed;
  o.num_records = records;
  return o;
}

TEST(SynthHarTest, LayoutAndSubjectDisjointSplits) {
  auto splits = generate_har(small_har());
  ASSERT_TRUE(splits.ok()) << splits.status().message();
  const int64_t total = splits->train.size() + splits->val.size() + splits->test.size();
  EXPECT_EQ(total, 360);
  for (const Dataset* d : {&splits->train, &splits->val, &splits->test}) {
    EXPECT_TRUE(validate_dataset(*d).ok());
    EXPECT_EQ(d->sample_shape(), (Shape{100, 6, 1}));
    EXPECT_EQ(d->label_kind(), LabelKind::kClassIndex);
    EXPECT_EQ(d->label_names, har_activity_names());
  }
  // Windows go to subjects in turn and subjects to splits 20 / 5 / 5, so
  // the split sizes are exact: 12 windows per subject.
  EXPECT_EQ(splits->train.size(), 240);
  EXPECT_EQ(splits->val.size(), 60);
  EXPECT_EQ(splits->test.size(), 60);
}

TEST(SynthHarTest, DeterministicPerSeedAndPerWindow) {
  auto a = generate_har(small_har(7, 360));
  auto b = generate_har(small_har(7, 360));
  auto c = generate_har(small_har(8, 360));
  auto longer = generate_har(small_har(7, 720));
  ASSERT_TRUE(a.ok() && b.ok() && c.ok() && longer.ok());
  EXPECT_EQ(a->train.x.bytes, b->train.x.bytes);
  EXPECT_EQ(a->test.y.bytes, b->test.y.bytes);
  EXPECT_NE(a->train.x.bytes, c->train.x.bytes);
  // A window depends only on (seed, index): the first 360 windows of a
  // longer run are the same windows, in the same order within each split.
  const auto& short_bytes = a->train.x.bytes;
  ASSERT_LT(short_bytes.size(), longer->train.x.bytes.size());
  EXPECT_TRUE(std::equal(short_bytes.begin(), short_bytes.end(), longer->train.x.bytes.begin()));
}

TEST(SynthHarTest, SensorsFollowThePhysicalModel) {
  auto splits = generate_har(small_har(3, 1800));
  ASSERT_TRUE(splits.ok());
  const Dataset& d = splits->train;
  const float* x = d.x.data<float>();
  const int32_t* y = d.y.data<int32_t>();
  std::vector<double> gravity_sum(6, 0), gyro_energy(6, 0), acc_energy(6, 0);
  std::vector<int64_t> count(6, 0);
  for (int64_t i = 0; i < d.size(); ++i) {
    double mean_norm = 0;
    for (int t = 0; t < 100; ++t) {
      const float* row = x + (i * 100 + t) * 6;
      mean_norm += std::sqrt(row[0] * row[0] + row[1] * row[1] + row[2] * row[2]) / 100.0;
      gyro_energy[y[i]] += (row[3] * row[3] + row[4] * row[4] + row[5] * row[5]) / 100.0;
    }
    gravity_sum[y[i]] += mean_norm;
    ++count[y[i]];
  }
  for (int c = 0; c < 6; ++c) {
    ASSERT_GT(count[c], 0) << har_activity_names()[c];
    // The accelerometer sees gravity (9.81 m/s^2) plus motion: its mean
    // magnitude is g to within the motion's spread.
    EXPECT_NEAR(gravity_sum[c] / count[c], 9.81, c == 1 ? 2.5 : 0.6) << har_activity_names()[c];
  }
  // Still activities barely turn the wrist; gait swings it (rad/s RMS).
  const double sitting = std::sqrt(gyro_energy[4] / count[4]), lying = std::sqrt(gyro_energy[5] / count[5]);
  const double walking = std::sqrt(gyro_energy[0] / count[0]), running = std::sqrt(gyro_energy[1] / count[1]);
  EXPECT_LT(sitting, 0.3);
  EXPECT_LT(lying, sitting);
  EXPECT_GT(walking, 0.8);
  EXPECT_GT(running, walking);
}

TEST(SynthHarTest, GaitCadenceMatchesTheProfilesByFft) {
  testing::ScratchDir dir;
  ASSERT_FALSE(dir.path().empty());
  auto splits = generate_har(small_har(5, 1200));
  ASSERT_TRUE(splits.ok());
  ASSERT_TRUE(write_splits(dir.path(), *splits, "test data").ok());
  // NumPy measures the dominant frequency of the acceleration magnitude
  // (step frequency) per window; report the median per class.
  const std::string code =
      "import numpy as np\n"
      "d = np.load(" + testing::python_literal(dir.file("train.npz")) + ")\n"
      "x, y = d['x'][..., 0], d['y']\n"
      "a = np.linalg.norm(x[:, :, :3], axis=2)\n"
      "s = np.abs(np.fft.rfft(a - a.mean(1, keepdims=True), axis=1))\n"
      "f = np.fft.rfftfreq(100, 1 / 50)\n"
      "dom = f[s[:, 1:].argmax(1) + 1]\n"
      "print(' '.join('%.3f' % np.median(dom[y == c]) for c in range(4)))\n";
  const auto result = testing::run_python_snippet(code);
  ASSERT_EQ(result.exit_code, 0) << result.output;
  double walking, running, up, down;
  ASSERT_EQ(std::sscanf(result.output.c_str(), "%lf %lf %lf %lf", &walking, &running, &up, &down), 4)
      << result.output;
  // Profiles: walking 1.85 Hz, running 2.75, stairs up 1.55, stairs down
  // 2.0 steps/s (the FFT's bins are 0.5 Hz wide).
  EXPECT_NEAR(walking, 1.85, 0.5);
  EXPECT_NEAR(running, 2.75, 0.5);
  EXPECT_NEAR(up, 1.55, 0.5);
  EXPECT_NEAR(down, 2.0, 0.5);
  EXPECT_GT(running, walking);
  EXPECT_LT(up, down);
}

TEST(SynthHarTest, RefusesImpossibleRequests) {
  HarOptions o = small_har();
  o.num_subjects = 2;
  EXPECT_FALSE(generate_har(o).ok());
  o = small_har();
  o.num_windows = 10;
  EXPECT_FALSE(generate_har(o).ok());
}

TEST(SynthEcgTest, LayoutLabelsAndDeterminism) {
  auto splits = generate_ecg(small_ecg());
  ASSERT_TRUE(splits.ok()) << splits.status().message();
  EXPECT_EQ(splits->train.size(), 160);
  EXPECT_EQ(splits->val.size(), 20);
  EXPECT_EQ(splits->test.size(), 20);
  EXPECT_EQ(splits->train.sample_shape(), (Shape{500, 12, 1}));
  EXPECT_EQ(splits->train.y.shape, (Shape{160, 5}));
  EXPECT_EQ(splits->train.label_names, ecg_label_names());
  auto again = generate_ecg(small_ecg());
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(splits->train.x.bytes, again->train.x.bytes);

  // NORM means none of CD, STTC, HYP; ECT may accompany anything.
  std::vector<int64_t> positives(5, 0);
  int64_t norm_with_ectopic = 0, multi = 0;
  for (const Dataset* d : {&splits->train, &splits->val, &splits->test}) {
    const uint8_t* y = d->y.data<uint8_t>();
    for (int64_t i = 0; i < d->size(); ++i) {
      const uint8_t* row = y + i * 5;
      EXPECT_EQ(row[0], !(row[1] || row[2] || row[3]) ? 1 : 0) << "record " << i;
      for (int k = 0; k < 5; ++k) positives[k] += row[k];
      norm_with_ectopic += row[0] && row[4];
      multi += (row[1] + row[2] + row[3] + row[4]) >= 2;
    }
  }
  for (int k = 0; k < 5; ++k) EXPECT_GT(positives[k], 10) << ecg_label_names()[k];
  EXPECT_GT(norm_with_ectopic, 0);
  EXPECT_GT(multi, 10);  // labels co-occur
}

TEST(SynthEcgTest, LeadsFollowTheDipoleModel) {
  EcgOptions o = small_ecg(11, 60);
  auto splits = generate_ecg(o);
  ASSERT_TRUE(splits.ok());
  const Dataset& d = splits->train;
  const float* x = d.x.data<float>();
  // Lead II looks at the heart from +60 degrees, along the normal QRS axis:
  // its biggest deflection is a positive R wave of about 1 mV or more.
  // aVR looks from -150 degrees: mostly negative.
  int positive_ii = 0, negative_avr = 0;
  for (int64_t i = 0; i < d.size(); ++i) {
    float max_ii = -1e9f, min_ii = 1e9f, max_avr = -1e9f, min_avr = 1e9f;
    for (int t = 0; t < 500; ++t) {
      const float* row = x + (i * 500 + t) * 12;
      max_ii = std::max(max_ii, row[1]);
      min_ii = std::min(min_ii, row[1]);
      max_avr = std::max(max_avr, row[3]);
      min_avr = std::min(min_avr, row[3]);
    }
    positive_ii += max_ii > -min_ii;
    negative_avr += -min_avr > max_avr;
  }
  EXPECT_GT(positive_ii, 0.8 * d.size());
  EXPECT_GT(negative_avr, 0.7 * d.size());

  o.leads = 3;
  o.length = 300;
  auto three = generate_ecg(o);
  ASSERT_TRUE(three.ok());
  EXPECT_EQ(three->train.sample_shape(), (Shape{300, 3, 1}));
  o.leads = 13;
  EXPECT_FALSE(generate_ecg(o).ok());
  o.leads = 12;
  o.length = 100;  // 1 s at 100 Hz: too short for a rhythm
  EXPECT_FALSE(generate_ecg(o).ok());
}

TEST(SynthEcgTest, EctopicBeatsMakeTheRhythmIrregular) {
  testing::ScratchDir dir;
  auto splits = generate_ecg(small_ecg(9, 300));
  ASSERT_TRUE(splits.ok());
  ASSERT_TRUE(write_splits(dir.path(), *splits, "test data").ok());
  // SciPy finds the beats (peaks of the summed absolute slope over all
  // leads) and measures the beat-interval variation of each record.
  const std::string code =
      "import numpy as np, scipy.signal as ss\n"
      "d = np.load(" + testing::python_literal(dir.file("train.npz")) + ")\n"
      "x, y = d['x'][..., 0], d['y']\n"
      "e = np.abs(np.diff(x, axis=1)).sum(2)\n"
      "cv = []\n"
      "for s in e:\n"
      "    p, _ = ss.find_peaks(s, height=0.5 * np.percentile(s, 99), distance=25)\n"
      "    r = np.diff(p)\n"
      "    cv.append(r.std() / r.mean() if len(r) >= 2 else 0.0)\n"
      "cv = np.array(cv)\n"
      "print('%.4f %.4f' % (cv[y[:, 4] == 1].mean(), cv[y[:, 4] == 0].mean()))\n";
  const auto result = testing::run_python_snippet(code);
  ASSERT_EQ(result.exit_code, 0) << result.output;
  double ectopic = 0, regular = 0;
  ASSERT_EQ(std::sscanf(result.output.c_str(), "%lf %lf", &ectopic, &regular), 2) << result.output;
  // Sinus rhythm varies by a few percent (breathing); premature beats and
  // their pauses by far more.
  EXPECT_LT(regular, 0.1);
  EXPECT_GT(ectopic, 2.0 * regular);
}

TEST(SynthTest, WriteSplitsWritesReadableLabelledFiles) {
  testing::ScratchDir dir;
  auto splits = generate_ecg(small_ecg(2, 40));
  ASSERT_TRUE(splits.ok());
  ASSERT_TRUE(write_splits(dir.path(), *splits, "Kind: ecg").ok());
  for (const char* name : {"train", "val", "test"}) {
    auto d = read_dataset_npz(dir.file(std::string(name) + ".npz"));
    ASSERT_TRUE(d.ok()) << d.status().message();
    EXPECT_EQ(d->label_names, ecg_label_names());
  }
  auto back = read_dataset_npz(dir.file("train.npz"));
  EXPECT_EQ(back->x.bytes, splits->train.x.bytes);
  auto readme = testing::run_command("cat " + testing::shell_quote(dir.file("README.txt")));
  EXPECT_NE(readme.output.find("SYNTHETIC DATA"), std::string::npos);
  EXPECT_NE(readme.output.find("Kind: ecg"), std::string::npos);
}

}  // namespace
}  // namespace quantlab::synth
