#include "quantlab/data/dataset.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <set>

#include "quantlab/core/file_io.h"
#include "quantlab/data/npz.h"
#include "quantlab/data/test_python.h"

namespace quantlab {
namespace {

using testing::ScratchDir;

class DatasetTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_FALSE(dir_.path().empty()) << "cannot create a temporary directory"; }

  void python(const std::string& body) {
    auto r = testing::run_python_snippet("import numpy as np\nd = " + testing::python_literal(dir_.path()) + "\n" +
                                         body);
    ASSERT_EQ(r.exit_code, 0) << "system python failed:\n" << r.output;
  }

  void write_text(const std::string& name, const std::string& text) {
    ASSERT_TRUE(write_file_atomic(dir_.file(name), text).ok());
  }

  ScratchDir dir_;
};

// A small valid class-index dataset: x[i][f] = i + f / 4, y[i] = i % classes.
Dataset make_class_dataset(int32_t n, int32_t features, int32_t classes) {
  Dataset d;
  d.x = Array::zeros(DType::kFloat32, {n, features});
  d.y = Array::zeros(DType::kInt32, {n});
  for (int32_t i = 0; i < n; ++i) {
    for (int32_t f = 0; f < features; ++f) d.x.data<float>()[i * features + f] = i + f / 4.0f;
    d.y.data<int32_t>()[i] = i % classes;
  }
  return d;
}

Status error_of(const Result<Dataset>& r) { return r.ok() ? Status::Ok() : r.status(); }

void expect_error_contains(const Status& s, const std::string& needle) {
  ASSERT_FALSE(s.ok()) << "expected an error containing '" << needle << "'";
  EXPECT_NE(s.message().find(needle), std::string::npos) << s.message();
}

TEST_F(DatasetTest, ReadsNpzWrittenByNumpyStoredAndDeflated) {
  python(
      "x = (np.arange(24, dtype=np.float64).reshape(6, 2, 2) / 8 - 1)\n"
      "y = np.array([0, 2, 1, 2, 0, 1], dtype=np.int64)\n"
      "names = np.array(['walk', 'run', 'idle'])\n"
      "np.savez(d + '/plain.npz', x=x, y=y, label_names=names)\n"
      "np.savez_compressed(d + '/packed.npz', x=x.astype(np.float32), y=y.astype(np.uint8),\n"
      "                    norm_mean=np.array([0.5, -0.25], np.float32), norm_std=np.array([2, 4], np.float32))\n");
  for (const char* name : {"plain.npz", "packed.npz"}) {
    SCOPED_TRACE(name);
    auto d = read_dataset_npz(dir_.file(name));
    ASSERT_TRUE(d.ok()) << d.status().message();
    EXPECT_EQ(d->x.dtype, DType::kFloat32);
    EXPECT_EQ(d->x.shape, (Shape{6, 2, 2}));
    EXPECT_EQ(d->sample_shape(), (Shape{2, 2}));
    for (int i = 0; i < 24; ++i) EXPECT_EQ(d->x.data<float>()[i], i / 8.0f - 1) << i;
    EXPECT_EQ(d->y.dtype, DType::kInt32);
    EXPECT_EQ(d->y.to_vector<int32_t>(), (std::vector<int32_t>{0, 2, 1, 2, 0, 1}));
    EXPECT_EQ(d->label_kind(), LabelKind::kClassIndex);
    EXPECT_EQ(d->num_labels(), 3);
  }
  auto plain = read_dataset_npz(dir_.file("plain.npz"));
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->label_names, (std::vector<std::string>{"walk", "run", "idle"}));
  EXPECT_FALSE(plain->normalization.has_value());
  auto packed = read_dataset_npz(dir_.file("packed.npz"));
  ASSERT_TRUE(packed.ok());
  ASSERT_TRUE(packed->normalization.has_value());
  EXPECT_EQ(packed->normalization->mean, (std::vector<float>{0.5f, -0.25f}));
  EXPECT_EQ(packed->normalization->std, (std::vector<float>{2.0f, 4.0f}));
}

TEST_F(DatasetTest, ReadsMultiHotFromFloatAndBool) {
  python(
      "x = np.ones((3, 4), np.float32)\n"
      "y = np.array([[1, 0], [0, 0], [1, 1]])\n"
      "np.savez(d + '/f.npz', x=x, y=y.astype(np.float32))\n"
      "np.savez(d + '/b.npz', x=x, y=y.astype(bool))\n");
  for (const char* name : {"f.npz", "b.npz"}) {
    SCOPED_TRACE(name);
    auto d = read_dataset_npz(dir_.file(name));
    ASSERT_TRUE(d.ok()) << d.status().message();
    EXPECT_EQ(d->label_kind(), LabelKind::kMultiHot);
    EXPECT_EQ(d->y.dtype, DType::kUInt8);
    EXPECT_EQ(d->num_labels(), 2);
    EXPECT_EQ(d->y.to_vector<uint8_t>(), (std::vector<uint8_t>{1, 0, 0, 0, 1, 1}));
  }
}

TEST_F(DatasetTest, NumpyReadsWrittenNpzAndRoundTrips) {
  Dataset d = make_class_dataset(5, 3, 2);
  d.label_names = {"no", "s\xc3\xad"};
  d.normalization = NormalizationStats{{1, 2, 3}, {0.5f, 1, 2}};
  for (auto compression : {NpzCompression::kStored, NpzCompression::kDeflated}) {
    const std::string name = compression == NpzCompression::kStored ? "stored.npz" : "deflated.npz";
    ASSERT_TRUE(write_dataset_npz(dir_.file(name), d, compression).ok());
    auto back = read_dataset_npz(dir_.file(name));
    ASSERT_TRUE(back.ok()) << back.status().message();
    EXPECT_EQ(back->x.bytes, d.x.bytes);
    EXPECT_EQ(back->y.bytes, d.y.bytes);
    EXPECT_EQ(back->label_names, d.label_names);
    ASSERT_TRUE(back->normalization.has_value());
    EXPECT_EQ(back->normalization->std, d.normalization->std);
  }
  python(
      "import zipfile\n"
      "for name, method in [('stored.npz', zipfile.ZIP_STORED), ('deflated.npz', zipfile.ZIP_DEFLATED)]:\n"
      "    z = np.load(d + '/' + name)\n"
      "    assert sorted(z.files) == ['label_names', 'norm_mean', 'norm_std', 'x', 'y'], z.files\n"
      "    i = np.arange(5)[:, None]; f = np.arange(3)[None, :]\n"
      "    assert z['x'].dtype == np.float32 and np.array_equal(z['x'], i + f / 4)\n"
      "    assert z['y'].dtype == np.int32 and list(z['y']) == [0, 1, 0, 1, 0]\n"
      "    assert list(z['label_names']) == ['no', 's\\u00ed']\n"
      "    assert list(z['norm_std']) == [0.5, 1, 2]\n"
      "    assert all(info.compress_type == method for info in zipfile.ZipFile(d + '/' + name).infolist())\n");
}

TEST_F(DatasetTest, NpzBytesAreDeterministic) {
  Dataset d = make_class_dataset(4, 2, 2);
  std::vector<NpzMember> members = {{"x", serialize_npy(d.x)}, {"y", serialize_npy(d.y)}};
  auto a = build_npz(members, NpzCompression::kDeflated);
  auto b = build_npz(members, NpzCompression::kDeflated);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(*a, *b);
  expect_error_contains(build_npz({}, NpzCompression::kStored).status(), "at least one member");
  expect_error_contains(build_npz({members[0], members[0]}, NpzCompression::kStored).status(), "duplicate");
}

TEST_F(DatasetTest, GenericNpzReaderAndWriter) {
  std::map<std::string, Array> arrays = {{"a", Array::from_vector<int16_t>({2}, {-3, 7})},
                                         {"b", Array::from_vector<double>({1, 1}, {0.125})}};
  ASSERT_TRUE(write_npz(dir_.file("g.npz"), arrays).ok());
  python(
      "z = np.load(d + '/g.npz')\n"
      "assert list(z['a']) == [-3, 7] and z['b'].shape == (1, 1) and z['b'][0, 0] == 0.125\n");
  auto back = read_npz(dir_.file("g.npz"));
  ASSERT_TRUE(back.ok()) << back.status().message();
  ASSERT_EQ(back->size(), 2u);
  EXPECT_EQ(back->at("a").to_vector<int16_t>(), (std::vector<int16_t>{-3, 7}));
}

TEST_F(DatasetTest, NpzErrorsNameFileAndProblem) {
  python(
      "np.savez(d + '/no_y.npz', x=np.zeros((2, 2), np.float32))\n"
      "np.savez(d + '/mismatch.npz', x=np.zeros((3, 2), np.float32), y=np.zeros(2, np.int32))\n"
      "x = np.zeros((3, 2), np.float32); x[1, 1] = np.nan\n"
      "np.savez(d + '/nan.npz', x=x, y=np.zeros(3, np.int32))\n"
      "x = np.zeros((3, 2), np.float32); x[2, 0] = np.inf\n"
      "np.savez(d + '/inf.npz', x=x, y=np.zeros(3, np.int32))\n"
      "np.savez(d + '/range.npz', x=np.zeros((3, 2)), y=np.array([0, 2, 1]), label_names=np.array(['a', 'b']))\n"
      "np.savez(d + '/negative.npz', x=np.zeros((2, 2)), y=np.array([0, -1]))\n"
      "np.savez(d + '/half.npz', x=np.zeros((2, 2)), y=np.array([[0, 0.5], [1, 0]]))\n"
      "np.savez(d + '/frac.npz', x=np.zeros((2, 2)), y=np.array([1.0, 2.5]))\n"
      "np.savez(d + '/names.npz', x=np.zeros((2, 2)), y=np.eye(2), label_names=np.array(['a', 'b', 'c']))\n"
      "np.savez(d + '/norm.npz', x=np.zeros((2, 3)), y=np.zeros(2, int), norm_mean=np.zeros(2, np.float32),\n"
      "         norm_std=np.ones(2, np.float32))\n"
      "np.savez(d + '/zero_std.npz', x=np.zeros((2, 2)), y=np.zeros(2, int), norm_mean=np.zeros(2, np.float32),\n"
      "         norm_std=np.array([1, 0], np.float32))\n"
      "np.savez(d + '/textx.npz', x=np.array(['a', 'b']), y=np.zeros(2, int))\n"
      "open(d + '/notzip.npz', 'w').write('hello')\n"
      "import zipfile\n"
      "raw = bytearray(open(d + '/mismatch.npz', 'rb').read())\n"
      "info = zipfile.ZipFile(d + '/mismatch.npz').getinfo('x.npy')\n"
      "o = info.header_offset\n"
      "data_start = o + 30 + raw[o + 26] + (raw[o + 27] << 8) + raw[o + 28] + (raw[o + 29] << 8)\n"
      "raw[data_start + info.compress_size - 1] ^= 0xff  # last payload byte: only the CRC notices\n"
      "open(d + '/crc.npz', 'wb').write(bytes(raw))\n");
  const std::pair<const char*, const char*> cases[] = {
      {"no_y.npz", "'y' is missing"},
      {"mismatch.npz", "x has 3 samples but y has 2 labels"},
      {"nan.npz", "x sample 1 element 1 is NaN"},
      {"inf.npz", "x sample 2 element 0 is +Inf"},
      {"range.npz", "label 1 is 2 but there are only 2 label names"},
      {"negative.npz", "label 1 is -1"},
      {"half.npz", "row 0 label 1 is 0.5, not 0 or 1"},
      {"frac.npz", "y[1] = 2.5 is not an integer"},
      {"names.npz", "3 label names for 2 multi-hot label columns"},
      {"norm.npz", "normalization has 2 means and 2 stds but x has 3 channels"},
      {"zero_std.npz", "std of channel 1 is 0"},
      {"textx.npz", "<U1"},
      {"notzip.npz", "not a valid .npz"},
      {"crc.npz", "member 'x.npy'"},
  };
  for (const auto& [name, needle] : cases) {
    SCOPED_TRACE(name);
    const Status s = error_of(read_dataset_npz(dir_.file(name)));
    expect_error_contains(s, needle);
    expect_error_contains(s, dir_.file(name));
  }
  EXPECT_EQ(error_of(read_dataset_npz(dir_.file("absent.npz"))).code(), StatusCode::kNotFound);
}

TEST_F(DatasetTest, ReadsNpyPair) {
  python(
      "np.save(d + '/x.npy', np.arange(6, dtype=np.int8).reshape(3, 2))\n"
      "np.save(d + '/y.npy', np.array([2, 0, 1], dtype=np.int16))\n"
      "np.save(d + '/y_short.npy', np.array([2, 0], dtype=np.int16))\n");
  auto d = read_dataset_npy_pair(dir_.file("x.npy"), dir_.file("y.npy"));
  ASSERT_TRUE(d.ok()) << d.status().message();
  EXPECT_EQ(d->x.to_vector<float>(), (std::vector<float>{0, 1, 2, 3, 4, 5}));
  EXPECT_EQ(d->y.to_vector<int32_t>(), (std::vector<int32_t>{2, 0, 1}));
  const Status s = error_of(read_dataset_npy_pair(dir_.file("x.npy"), dir_.file("y_short.npy")));
  expect_error_contains(s, "x has 3 samples but y has 2 labels");
  expect_error_contains(s, "y_short.npy");
}

TEST_F(DatasetTest, ReadsCsvWithIntegerTextAndMultiHotLabels) {
  write_text("ints.csv", "a,b,label\r\n1,2.5,0\r\n-3,4e-1,2\r\n\r\n+5, 6 ,1\r\n");
  auto ints = read_dataset_csv(dir_.file("ints.csv"));
  ASSERT_TRUE(ints.ok()) << ints.status().message();
  EXPECT_EQ(ints->x.shape, (Shape{3, 2}));
  EXPECT_EQ(ints->x.to_vector<float>(), (std::vector<float>{1, 2.5f, -3, 0.4f, 5, 6}));
  EXPECT_EQ(ints->y.to_vector<int32_t>(), (std::vector<int32_t>{0, 2, 1}));
  EXPECT_TRUE(ints->label_names.empty());

  write_text("text.csv", "\xef\xbb\xbf" "species,len,\"note, quoted\"\nsetosa,1,2\n\"vir\"\"ginica\",3,4\nsetosa,5,6");
  CsvOptions by_name;
  by_name.label_columns = {"species"};
  auto text = read_dataset_csv(dir_.file("text.csv"), by_name);
  ASSERT_TRUE(text.ok()) << text.status().message();
  EXPECT_EQ(text->x.to_vector<float>(), (std::vector<float>{1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(text->label_names, (std::vector<std::string>{"setosa", "vir\"ginica"}));
  EXPECT_EQ(text->y.to_vector<int32_t>(), (std::vector<int32_t>{0, 1, 0}));

  write_text("multi.csv", "f0;f1;cat;dog\n0.5;1;1;0\n2;3;1;1\n");
  CsvOptions two;
  two.delimiter = ';';
  two.label_column_count = 2;
  auto multi = read_dataset_csv(dir_.file("multi.csv"), two);
  ASSERT_TRUE(multi.ok()) << multi.status().message();
  EXPECT_EQ(multi->label_kind(), LabelKind::kMultiHot);
  EXPECT_EQ(multi->y.shape, (Shape{2, 2}));
  EXPECT_EQ(multi->y.to_vector<uint8_t>(), (std::vector<uint8_t>{1, 0, 1, 1}));
  EXPECT_EQ(multi->label_names, (std::vector<std::string>{"cat", "dog"}));
  EXPECT_EQ(multi->x.to_vector<float>(), (std::vector<float>{0.5f, 1, 2, 3}));
}

TEST_F(DatasetTest, CsvErrorsNameLineAndColumn) {
  write_text("bad_number.csv", "a,b,y\n1,2,0\n1,x7,1\n");
  expect_error_contains(error_of(read_dataset_csv(dir_.file("bad_number.csv"))),
                        "line 3, column 'b': 'x7' is not a number");
  write_text("short.csv", "a,b,y\n1,2,0\n1,1\n");
  expect_error_contains(error_of(read_dataset_csv(dir_.file("short.csv"))), "line 3 has 2 fields but the header has 3");
  write_text("multi.csv", "a,p,q\n1,0,2\n");
  CsvOptions two;
  two.label_column_count = 2;
  expect_error_contains(error_of(read_dataset_csv(dir_.file("multi.csv"), two)), "column 'q': multi-hot label '2'");
  CsvOptions missing;
  missing.label_columns = {"zzz"};
  expect_error_contains(error_of(read_dataset_csv(dir_.file("multi.csv"), missing)), "no column named 'zzz'");
  write_text("quote.csv", "a,y\n\"1,0\n");
  expect_error_contains(error_of(read_dataset_csv(dir_.file("quote.csv"))), "unterminated quote");
  write_text("nan.csv", "a,y\n1,0\nnan,1\n");
  expect_error_contains(error_of(read_dataset_csv(dir_.file("nan.csv"))), "x sample 1 element 0 is NaN");
  CsvOptions all_labels;
  all_labels.label_column_count = 3;
  expect_error_contains(error_of(read_dataset_csv(dir_.file("multi.csv"), all_labels)), "leave no feature column");
}

TEST_F(DatasetTest, ReadDatasetDispatchesOnExtension) {
  write_text("d.CSV", "a,y\n1,0\n");
  auto d = read_dataset(dir_.file("d.CSV"));
  ASSERT_TRUE(d.ok()) << d.status().message();
  EXPECT_EQ(d->size(), 1);
  expect_error_contains(error_of(read_dataset(dir_.file("d.txt"))), "unknown dataset format");
}

TEST(DatasetShape, CheckInputShapeIgnoresBatchDimension) {
  Dataset d;
  d.x = Array::zeros(DType::kFloat32, {7, 128, 3, 1});
  d.y = Array::zeros(DType::kInt32, {7});
  EXPECT_TRUE(check_input_shape(d, {1, 128, 3, 1}).ok());
  EXPECT_TRUE(check_input_shape(d, {-1, 128, 3, 1}).ok());
  const Status s = check_input_shape(d, {1, 90});
  expect_error_contains(s, "[128, 3, 1]");
  expect_error_contains(s, "[90]");
  expect_error_contains(check_input_shape(d, {}), "rank 0");

  Dataset flat = make_class_dataset(2, 384, 2);
  flat.normalization = NormalizationStats{std::vector<float>(384, 0.0f), std::vector<float>(384, 1.0f)};
  ASSERT_TRUE(reshape_samples(&flat, {128, 3, 1}).ok());
  EXPECT_EQ(flat.x.shape, (Shape{2, 128, 3, 1}));
  EXPECT_FALSE(flat.normalization.has_value());  // 384 channels no longer exist
  EXPECT_TRUE(check_input_shape(flat, {1, 128, 3, 1}).ok());
  expect_error_contains(reshape_samples(&flat, {100}), "384 elements");
}

TEST(DatasetNormalization, MatchesHandComputedStatistics) {
  // Channel 0 holds {1, 3, 5, 7}: mean 4, population std sqrt(5).
  // Channel 1 holds {2, 2, 2, 2}: zero spread, so std is reported as 1.
  Dataset d;
  d.x = Array::from_vector<float>({2, 2, 2}, {1, 2, 3, 2, 5, 2, 7, 2});
  d.y = Array::from_vector<int32_t>({2}, {0, 1});
  auto stats = compute_normalization(d);
  ASSERT_TRUE(stats.ok()) << stats.status().message();
  EXPECT_EQ(stats->mean, (std::vector<float>{4, 2}));
  EXPECT_FLOAT_EQ(stats->std[0], static_cast<float>(std::sqrt(5.0)));
  EXPECT_EQ(stats->std[1], 1.0f);
  ASSERT_TRUE(apply_normalization(&d, *stats).ok());
  const float s5 = static_cast<float>(std::sqrt(5.0));
  const std::vector<float> expected = {-3 / s5, 0, -1 / s5, 0, 1 / s5, 0, 3 / s5, 0};
  const auto got = d.x.to_vector<float>();
  for (size_t i = 0; i < expected.size(); ++i) EXPECT_FLOAT_EQ(got[i], expected[i]) << i;
  EXPECT_TRUE(validate_dataset(d).ok());
  expect_error_contains(apply_normalization(&d, NormalizationStats{{0}, {1}}), "x has 2 channels");
  expect_error_contains(apply_normalization(&d, NormalizationStats{{0, 0}, {1, -1}}), "finite and positive");
}

TEST(DatasetValidate, RejectsWrongRepresentations) {
  Dataset d = make_class_dataset(3, 2, 2);
  d.y = Array::from_vector<int64_t>({3}, {0, 1, 0});
  expect_error_contains(validate_dataset(d), "INT32 [N] class indices or UINT8 [N, L] multi-hot");
  d = make_class_dataset(3, 2, 2);
  d.x = Array::from_vector<double>({3, 1}, {1, 2, 3});
  expect_error_contains(validate_dataset(d), "x must be FLOAT32");
  d = make_class_dataset(3, 2, 2);
  d.y = Array::from_vector<uint8_t>({3, 1}, {0, 3, 1});
  expect_error_contains(validate_dataset(d), "multi-hot row 1 label 0 is 3");
}

// Properties any correct split must have, independent of how it shuffles.
TEST(DatasetSplit, PartitionsDeterministicallyAndStratifies) {
  // 3 classes with 50, 30 and 20 samples; x[i][0] = i identifies each sample.
  Dataset d;
  const int32_t n = 100;
  d.x = Array::zeros(DType::kFloat32, {n, 1});
  d.y = Array::zeros(DType::kInt32, {n});
  for (int32_t i = 0; i < n; ++i) {
    d.x.data<float>()[i] = static_cast<float>(i);
    d.y.data<int32_t>()[i] = i < 50 ? 0 : (i < 80 ? 1 : 2);
  }
  d.label_names = {"a", "b", "c"};
  SplitOptions options;
  options.train_fraction = 0.7;
  options.val_fraction = 0.1;
  options.test_fraction = 0.2;
  options.seed = 42;
  auto splits = split_dataset(d, options);
  ASSERT_TRUE(splits.ok()) << splits.status().message();
  // Per class: val = round(0.1 * {50, 30, 20}) = {5, 3, 2}, test = {10, 6, 4}.
  EXPECT_EQ(splits->val.size(), 10);
  EXPECT_EQ(splits->test.size(), 20);
  EXPECT_EQ(splits->train.size(), 70);
  auto class_counts = [](const Dataset& part) {
    std::vector<int> counts(3, 0);
    for (int32_t label : part.y.to_vector<int32_t>()) ++counts[static_cast<size_t>(label)];
    return counts;
  };
  EXPECT_EQ(class_counts(splits->val), (std::vector<int>{5, 3, 2}));
  EXPECT_EQ(class_counts(splits->test), (std::vector<int>{10, 6, 4}));
  EXPECT_EQ(class_counts(splits->train), (std::vector<int>{35, 21, 14}));

  // Every sample lands in exactly one split, with its own label.
  std::set<int> seen;
  for (const Dataset* part : {&splits->train, &splits->val, &splits->test}) {
    EXPECT_EQ(part->label_names, d.label_names);
    for (int64_t i = 0; i < part->size(); ++i) {
      const int id = static_cast<int>(part->x.data<float>()[i]);
      EXPECT_TRUE(seen.insert(id).second) << "sample " << id << " appears twice";
      EXPECT_EQ(part->y.data<int32_t>()[i], d.y.data<int32_t>()[id]);
    }
  }
  EXPECT_EQ(seen.size(), 100u);

  auto again = split_dataset(d, options);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->train.x.bytes, splits->train.x.bytes);
  EXPECT_EQ(again->test.x.bytes, splits->test.x.bytes);
  options.seed = 43;
  auto other = split_dataset(d, options);
  ASSERT_TRUE(other.ok());
  EXPECT_NE(other->train.x.bytes, splits->train.x.bytes);

  // Splits are shuffled, not left grouped by class.
  const auto train_labels = splits->train.y.to_vector<int32_t>();
  EXPECT_FALSE(std::is_sorted(train_labels.begin(), train_labels.end()));
}

TEST(DatasetSplit, UnstratifiedAndMultiHotAndBadFractions) {
  Dataset d = make_class_dataset(11, 1, 2);
  SplitOptions options;
  options.train_fraction = 0.5;
  options.val_fraction = 0.5;
  options.test_fraction = 0.0;
  options.stratified = false;
  auto s = split_dataset(d, options);
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_EQ(s->val.size(), 6);  // round(5.5) rounds half away from zero
  EXPECT_EQ(s->train.size(), 5);
  EXPECT_EQ(s->test.size(), 0);
  EXPECT_EQ(s->test.x.shape, (Shape{0, 1}));

  Dataset multi;
  multi.x = Array::zeros(DType::kFloat32, {10, 2});
  multi.y = Array::zeros(DType::kUInt8, {10, 3});
  auto ms = split_dataset(multi, SplitOptions{});
  ASSERT_TRUE(ms.ok()) << ms.status().message();
  EXPECT_EQ(ms->train.size() + ms->val.size() + ms->test.size(), 10);
  EXPECT_EQ(ms->val.y.shape, (Shape{1, 3}));

  options.test_fraction = 0.2;
  expect_error_contains(split_dataset(d, options).status(), "sum to 1.2");
  options.val_fraction = -0.2;
  options.train_fraction = 1.0;
  options.test_fraction = 0.2;
  expect_error_contains(split_dataset(d, options).status(), "val fraction -0.2");
}

}  // namespace
}  // namespace quantlab
