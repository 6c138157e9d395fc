#include "quantlab/data/npy.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "quantlab/core/file_io.h"
#include "quantlab/data/test_python.h"

namespace quantlab {
namespace {

using testing::ScratchDir;
using testing::run_python_snippet;

// The element formula shared by the Python writer and the C++ checks below:
// every value is exactly representable in its dtype (float16 included), so
// equality is exact.
double expected_element(DType dtype, int64_t i) {
  switch (dtype) {
    case DType::kFloat16: case DType::kFloat32: case DType::kFloat64: return i * 0.5 - 3.25;
    case DType::kInt8: case DType::kInt16: case DType::kInt32: case DType::kInt64: return i * 3 - 20;
    case DType::kUInt8: case DType::kUInt16: case DType::kUInt32: case DType::kUInt64: return (i * 7) % 251;
    case DType::kBool: return i % 3 == 0 ? 1 : 0;
    default: return NAN;
  }
}

struct NumpyCase {
  DType dtype;
  const char* numpy_name;
};

const NumpyCase kCases[] = {
    {DType::kFloat16, "float16"}, {DType::kFloat32, "float32"}, {DType::kFloat64, "float64"},
    {DType::kInt8, "int8"},       {DType::kUInt8, "uint8"},     {DType::kInt16, "int16"},
    {DType::kUInt16, "uint16"},   {DType::kInt32, "int32"},     {DType::kUInt32, "uint32"},
    {DType::kInt64, "int64"},     {DType::kUInt64, "uint64"},   {DType::kBool, "bool"},
};

// Python source defining f(i, name), the same formula as expected_element.
const char kPythonFormula[] =
    "import numpy as np\n"
    "def f(i, name):\n"
    "    if name.startswith('float'): return i * 0.5 - 3.25\n"
    "    if name.startswith('int'): return i * 3 - 20\n"
    "    if name.startswith('uint'): return (i * 7) % 251\n"
    "    return (i % 3) == 0\n"
    "def make(name, shape):\n"
    "    n = int(np.prod(shape))\n"
    "    return np.array([f(i, name) for i in range(n)], dtype=name).reshape(shape)\n";

class NpyTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_FALSE(dir_.path().empty()) << "cannot create a temporary directory"; }

  // Runs Python with numpy; fails the test with its output if it exits non-zero.
  void python(const std::string& body) {
    auto r = run_python_snippet(std::string(kPythonFormula) + "d = " + testing::python_literal(dir_.path()) +
                                "\n" + body);
    ASSERT_EQ(r.exit_code, 0) << "system python failed:\n" << r.output;
  }

  ScratchDir dir_;
};

TEST_F(NpyTest, ReadsEveryDTypeWrittenByNumpy) {
  std::string body;
  for (const auto& c : kCases)
    body += std::string("np.save(d + '/") + c.numpy_name + ".npy', make('" + c.numpy_name + "', (2, 3, 4)))\n";
  python(body);
  for (const auto& c : kCases) {
    SCOPED_TRACE(c.numpy_name);
    auto a = read_npy(dir_.file(std::string(c.numpy_name) + ".npy"));
    ASSERT_TRUE(a.ok()) << a.status().message();
    EXPECT_EQ(a->dtype, c.dtype);
    EXPECT_EQ(a->shape, (Shape{2, 3, 4}));
    ASSERT_EQ(a->num_elements(), 24);
    for (int64_t i = 0; i < 24; ++i) EXPECT_EQ(a->value_as_double(i), expected_element(c.dtype, i)) << "element " << i;
  }
}

TEST_F(NpyTest, TypedAccessorsMatchDTypeOnly) {
  python("np.save(d + '/f.npy', make('float32', (5,)))\n");
  auto a = read_npy(dir_.file("f.npy"));
  ASSERT_TRUE(a.ok()) << a.status().message();
  ASSERT_NE(a->data<float>(), nullptr);
  EXPECT_EQ(a->data<int32_t>(), nullptr);
  EXPECT_EQ(a->data<double>(), nullptr);
  EXPECT_EQ(a->to_vector<float>(), (std::vector<float>{-3.25f, -2.75f, -2.25f, -1.75f, -1.25f}));
  EXPECT_TRUE(a->to_vector<int32_t>().empty());
}

TEST_F(NpyTest, ReadsFormatVersions2And3AndOddShapes) {
  python(
      "from numpy.lib import format as fmt\n"
      "with open(d + '/v2.npy', 'wb') as fh: fmt.write_array(fh, make('int16', (3, 2)), version=(2, 0))\n"
      "with open(d + '/v3.npy', 'wb') as fh: fmt.write_array(fh, make('float64', (4,)), version=(3, 0))\n"
      "np.save(d + '/scalar.npy', np.float32(2.5))\n"
      "np.save(d + '/empty.npy', np.zeros((0, 5), dtype=np.int32))\n"
      "np.save(d + '/fortran_1d.npy', np.asfortranarray(make('uint8', (6,))))\n"
      "np.save(d + '/fortran_col.npy', np.asfortranarray(make('int32', (4, 1))))\n");
  auto v2 = read_npy(dir_.file("v2.npy"));
  ASSERT_TRUE(v2.ok()) << v2.status().message();
  EXPECT_EQ(v2->shape, (Shape{3, 2}));
  EXPECT_EQ(v2->to_vector<int16_t>(), (std::vector<int16_t>{-20, -17, -14, -11, -8, -5}));

  auto v3 = read_npy(dir_.file("v3.npy"));
  ASSERT_TRUE(v3.ok()) << v3.status().message();
  EXPECT_EQ(v3->to_vector<double>(), (std::vector<double>{-3.25, -2.75, -2.25, -1.75}));

  auto scalar = read_npy(dir_.file("scalar.npy"));
  ASSERT_TRUE(scalar.ok()) << scalar.status().message();
  EXPECT_TRUE(scalar->shape.empty());
  EXPECT_EQ(scalar->to_vector<float>(), std::vector<float>{2.5f});

  auto empty = read_npy(dir_.file("empty.npy"));
  ASSERT_TRUE(empty.ok()) << empty.status().message();
  EXPECT_EQ(empty->shape, (Shape{0, 5}));
  EXPECT_EQ(empty->num_elements(), 0);
  EXPECT_TRUE(empty->bytes.empty());

  // A Fortran-order array with at most one dimension above 1 has C layout.
  auto f1 = read_npy(dir_.file("fortran_1d.npy"));
  ASSERT_TRUE(f1.ok()) << f1.status().message();
  EXPECT_EQ(f1->to_vector<uint8_t>(), (std::vector<uint8_t>{0, 7, 14, 21, 28, 35}));
  auto fcol = read_npy(dir_.file("fortran_col.npy"));
  ASSERT_TRUE(fcol.ok()) << fcol.status().message();
  EXPECT_EQ(fcol->to_vector<int32_t>(), (std::vector<int32_t>{-20, -17, -14, -11}));
}

TEST_F(NpyTest, NumpyReadsWhatWeWrite) {
  for (const auto& c : kCases) {
    Array a = Array::zeros(c.dtype, {3, 1, 5});
    // Fill through the independent formula, one element at a time by dtype.
    for (int64_t i = 0; i < a.num_elements(); ++i) {
      const double v = expected_element(c.dtype, i);
      switch (c.dtype) {
        case DType::kFloat16: {
          // i * 0.5 - 3.25 for i < 15 lies in [-3.25, 3.75]: quarter steps
          // that half represents exactly. Encode by hand (sign, exponent, mantissa).
          const uint16_t sign = v < 0 ? 0x8000 : 0;
          const double m = std::fabs(v);
          uint16_t bits = 0;
          if (m != 0) {
            int e;
            const double frac = std::frexp(m, &e);  // m = frac * 2^e, frac in [0.5, 1)
            bits = static_cast<uint16_t>(((e - 1 + 15) << 10) | static_cast<uint16_t>((frac * 2 - 1) * 1024));
          }
          bits |= sign;
          std::memcpy(a.bytes.data() + 2 * i, &bits, 2);
          break;
        }
        case DType::kFloat32: a.data<float>()[i] = static_cast<float>(v); break;
        case DType::kFloat64: a.data<double>()[i] = v; break;
        case DType::kInt8: a.data<int8_t>()[i] = static_cast<int8_t>(v); break;
        case DType::kUInt8: a.data<uint8_t>()[i] = static_cast<uint8_t>(v); break;
        case DType::kInt16: a.data<int16_t>()[i] = static_cast<int16_t>(v); break;
        case DType::kUInt16: a.data<uint16_t>()[i] = static_cast<uint16_t>(v); break;
        case DType::kInt32: a.data<int32_t>()[i] = static_cast<int32_t>(v); break;
        case DType::kUInt32: a.data<uint32_t>()[i] = static_cast<uint32_t>(v); break;
        case DType::kInt64: a.data<int64_t>()[i] = static_cast<int64_t>(v); break;
        case DType::kUInt64: a.data<uint64_t>()[i] = static_cast<uint64_t>(v); break;
        case DType::kBool: a.bytes[i] = v != 0; break;
        default: break;
      }
    }
    ASSERT_TRUE(write_npy(dir_.file(std::string("out_") + c.numpy_name + ".npy"), a).ok());
  }
  ASSERT_TRUE(write_npy(dir_.file("out_scalar.npy"), Array::from_vector<int32_t>({}, {42})).ok());
  std::string body = "bad = []\n";
  for (const auto& c : kCases) {
    body += std::string("a = np.load(d + '/out_") + c.numpy_name + ".npy')\n";
    body += std::string("if a.dtype != np.dtype('") + c.numpy_name + "') or a.shape != (3, 1, 5) or "
            "not np.array_equal(a, make('" + c.numpy_name + "', (3, 1, 5))): bad.append('" + c.numpy_name + "')\n";
  }
  body +=
      "s = np.load(d + '/out_scalar.npy')\n"
      "if s.shape != () or s.dtype != np.int32 or int(s) != 42: bad.append('scalar')\n"
      "with open(d + '/out_float32.npy', 'rb') as fh: raw = fh.read()\n"
      "hl = raw[8] | (raw[9] << 8)\n"
      "if (10 + hl) % 64 != 0: bad.append('alignment')\n"
      "assert not bad, bad\n";
  python(body);
}

TEST_F(NpyTest, SerializeParseRoundTripPreservesBytes) {
  Array a = Array::from_vector<int64_t>({2, 2}, {INT64_MIN, -1, 0, INT64_MAX});
  auto bytes = serialize_npy(a);
  ASSERT_FALSE(bytes.empty());
  auto back = parse_npy(bytes.data(), bytes.size(), "memory");
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(back->dtype, DType::kInt64);
  EXPECT_EQ(back->shape, a.shape);
  EXPECT_EQ(back->bytes, a.bytes);
}

TEST(NpyFormat, LargeHeaderUsesVersion2) {
  // 22000 dimensions of size 1 ("1, " each) push the header past 65535
  // bytes, which only the 4-byte length field of version 2 can carry.
  // numpy itself caps ndim far lower, so this is checked by parsing.
  Array a = Array::zeros(DType::kUInt8, Shape(22000, 1));
  a.bytes[0] = 9;
  auto bytes = serialize_npy(a);
  ASSERT_GT(bytes.size(), 12u);
  EXPECT_EQ(bytes[6], 2);
  const uint32_t header_len = bytes[8] | (bytes[9] << 8) | (bytes[10] << 16) | (uint32_t{bytes[11]} << 24);
  EXPECT_GT(header_len, 65535u);
  EXPECT_EQ((12 + header_len) % 64, 0u);
  auto back = parse_npy(bytes.data(), bytes.size(), "wide.npy");
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(back->shape.size(), 22000u);
  EXPECT_EQ(back->bytes, std::vector<uint8_t>{9});
}

TEST_F(NpyTest, WriteRefusesInconsistentArray) {
  Array a = Array::zeros(DType::kFloat32, {2, 2});
  a.bytes.pop_back();
  Status s = write_npy(dir_.file("bad.npy"), a);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("[2, 2]"), std::string::npos) << s.message();
  EXPECT_FALSE(std::filesystem::exists(dir_.file("bad.npy")));
}

TEST_F(NpyTest, TextArraysInteroperateWithNumpy) {
  // Non-ASCII names exercise 2-, 3- and 4-byte UTF-8 sequences.
  python(
      "np.save(d + '/names.npy', np.array(['cat', 'd\\u00f6g', '\\u20ac', '\\U0001F642x', '']))\n"
      "np.save(d + '/bytes.npy', np.array([b'ab', b'c']))\n");
  auto bytes = read_file(dir_.file("names.npy"));
  ASSERT_TRUE(bytes.ok());
  auto names = parse_npy_strings(bytes->data(), bytes->size(), "names.npy");
  ASSERT_TRUE(names.ok()) << names.status().message();
  EXPECT_EQ(*names, (std::vector<std::string>{"cat", "d\xc3\xb6g", "\xe2\x82\xac", "\xf0\x9f\x99\x82x", ""}));

  auto raw = read_file(dir_.file("bytes.npy"));
  ASSERT_TRUE(raw.ok());
  auto byte_names = parse_npy_strings(raw->data(), raw->size(), "bytes.npy");
  ASSERT_TRUE(byte_names.ok()) << byte_names.status().message();
  EXPECT_EQ(*byte_names, (std::vector<std::string>{"ab", "c"}));

  // numpy sizes '<U<n>' in code points: 'cat' and 'd\u00f6g' are the widest (3).
  auto out = serialize_npy_strings(*names);
  ASSERT_TRUE(out.ok()) << out.status().message();
  ASSERT_TRUE(write_file_atomic(dir_.file("ours.npy"), *out).ok());
  python(
      "a = np.load(d + '/ours.npy')\n"
      "assert a.dtype == np.dtype('<U3') and list(a) == ['cat', 'd\\u00f6g', '\\u20ac', '\\U0001F642x', ''], a\n");
}

TEST(NpyText, RejectsNonTextAndInvalidUtf8) {
  auto numbers = serialize_npy(Array::from_vector<int32_t>({2}, {1, 2}));
  auto parsed = parse_npy_strings(numbers.data(), numbers.size(), "labels.npy");
  ASSERT_FALSE(parsed.ok());
  EXPECT_NE(parsed.status().message().find("labels.npy"), std::string::npos);
  EXPECT_NE(parsed.status().message().find("'<i4'"), std::string::npos) << parsed.status().message();

  for (const std::string bad : {"\xff", "\xc3", "\xc0\x80", "\xed\xa0\x80", "\xf4\x90\x80\x80"}) {
    auto out = serialize_npy_strings({"ok", bad});
    ASSERT_FALSE(out.ok());
    EXPECT_NE(out.status().message().find("string 1 is not valid UTF-8"), std::string::npos);
  }
}

// Expects reading `name` to fail with a message naming the file and `needle`.
void expect_read_error(const ScratchDir& dir, const std::string& name, const std::string& needle) {
  SCOPED_TRACE(name);
  auto a = read_npy(dir.file(name));
  ASSERT_FALSE(a.ok());
  EXPECT_NE(a.status().message().find(dir.file(name)), std::string::npos) << a.status().message();
  EXPECT_NE(a.status().message().find(needle), std::string::npos) << a.status().message();
}

TEST_F(NpyTest, RefusesUnsupportedArraysFromNumpy) {
  python(
      "np.save(d + '/big.npy', make('float32', (3,)).astype('>f4'))\n"
      "np.save(d + '/fortran.npy', np.asfortranarray(make('float32', (2, 3))))\n"
      "np.save(d + '/object.npy', np.array([1, 'a', None], dtype=object), allow_pickle=True)\n"
      "np.save(d + '/struct.npy', np.zeros(2, dtype=[('a', '<i4'), ('b', '<f4')]))\n"
      "np.save(d + '/complex.npy', np.zeros(2, dtype=np.complex64))\n"
      "np.save(d + '/text.npy', np.array(['ab', 'c']))\n"
      "np.save(d + '/full.npy', make('int32', (4, 4)))\n"
      "raw = open(d + '/full.npy', 'rb').read()\n"
      "open(d + '/truncated.npy', 'wb').write(raw[:-3])\n"
      "open(d + '/trailing.npy', 'wb').write(raw + b'xy')\n"
      "open(d + '/header_cut.npy', 'wb').write(raw[:40])\n");
  expect_read_error(dir_, "big.npy", ">f4");
  expect_read_error(dir_, "fortran.npy", "fortran_order");
  expect_read_error(dir_, "object.npy", "|O");
  expect_read_error(dir_, "struct.npy", "structured");
  expect_read_error(dir_, "complex.npy", "<c8");
  expect_read_error(dir_, "text.npy", "<U2");
  expect_read_error(dir_, "truncated.npy", "needs 64 bytes but only 61");
  expect_read_error(dir_, "trailing.npy", "2 unexpected bytes");
  expect_read_error(dir_, "header_cut.npy", "truncated header");
}

// Builds a version-1 file from a literal header and payload.
std::vector<uint8_t> handmade_npy(const std::string& header, const std::vector<uint8_t>& payload,
                                  uint8_t major = 1) {
  std::string prefix = "\x93NUMPY";
  prefix += static_cast<char>(major);
  prefix += '\0';
  prefix += static_cast<char>(header.size() & 0xff);
  prefix += static_cast<char>(header.size() >> 8);
  const std::string text = prefix + header;
  std::vector<uint8_t> out(text.begin(), text.end());
  out.insert(out.end(), payload.begin(), payload.end());
  return out;
}

TEST(NpyParse, RejectsMalformedHeaders) {
  struct Case {
    std::string header;
    std::string needle;
  };
  const Case cases[] = {
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (1,)", "expected ',' or '}'"},
      {"{'descr': '<f4', 'fortran_order': False}", "lacks the 'shape' key"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'extra': 1}", "unexpected key 'extra'"},
      {"{'descr': '<f4', 'fortran_order': 0, 'shape': (1,)}", "'fortran_order' must be True or False"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': [1]}", "'shape' must be a tuple"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (-1,)}", "dimension -1"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296,)}", "dimension 4294967296"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (1,)} junk", "unexpected text"},
      {"{'descr': '<q9', 'fortran_order': False, 'shape': (1,)}", "'<q9'"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': ((((((((((((((((((1,),),),),),),),),),),),),),),),),),),)}",
       "nesting too deep"},
      {"[1, 2]", "not a dictionary"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.header);
    auto bytes = handmade_npy(c.header, {0, 0, 0, 0});
    auto a = parse_npy(bytes.data(), bytes.size(), "case.npy");
    ASSERT_FALSE(a.ok());
    EXPECT_NE(a.status().message().find("case.npy"), std::string::npos) << a.status().message();
    EXPECT_NE(a.status().message().find(c.needle), std::string::npos) << a.status().message();
  }
}

TEST(NpyParse, AcceptsPython2LongsAndDoubleQuotes) {
  auto bytes =
      handmade_npy("{\"descr\": \"<i2\", \"fortran_order\": False, \"shape\": (2L, 1L), }\n", {1, 0, 255, 255});
  auto a = parse_npy(bytes.data(), bytes.size(), "py2.npy");
  ASSERT_TRUE(a.ok()) << a.status().message();
  EXPECT_EQ(a->shape, (Shape{2, 1}));
  EXPECT_EQ(a->to_vector<int16_t>(), (std::vector<int16_t>{1, -1}));
}

TEST(NpyParse, RejectsBadMagicVersionAndBoolBytes) {
  const uint8_t not_npy[] = "PK\x03\x04 something else";
  auto a = parse_npy(not_npy, sizeof(not_npy), "x.npy");
  ASSERT_FALSE(a.ok());
  EXPECT_NE(a.status().message().find("magic"), std::string::npos) << a.status().message();

  auto v9 = handmade_npy("{'descr': '|u1', 'fortran_order': False, 'shape': (1,)}", {0}, 9);
  a = parse_npy(v9.data(), v9.size(), "x.npy");
  ASSERT_FALSE(a.ok());
  EXPECT_NE(a.status().message().find("version 9.0"), std::string::npos) << a.status().message();

  auto bad_bool = handmade_npy("{'descr': '|b1', 'fortran_order': False, 'shape': (3,)}", {1, 0, 2});
  a = parse_npy(bad_bool.data(), bad_bool.size(), "x.npy");
  ASSERT_FALSE(a.ok());
  EXPECT_NE(a.status().message().find("bool element 2 holds byte value 2"), std::string::npos) << a.status().message();
}

TEST(NpyParse, EveryTruncationIsAnError) {
  const auto bytes = serialize_npy(Array::from_vector<int16_t>({3, 2}, {1, 2, 3, 4, 5, 6}));
  ASSERT_EQ(bytes.size(), 128u + 12u);  // a 61-byte header after the 10-byte prefix pads to 128
  for (size_t n = 0; n < bytes.size(); ++n) {
    auto a = parse_npy(bytes.data(), n, "cut.npy");
    EXPECT_FALSE(a.ok()) << "a " << n << "-byte prefix parsed";
  }
  EXPECT_TRUE(parse_npy(bytes.data(), bytes.size(), "whole.npy").ok());
}

TEST(NpyParse, MissingFileIsNotFound) {
  auto a = read_npy("/nonexistent/dir/missing.npy");
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.status().code(), StatusCode::kNotFound);
  EXPECT_NE(a.status().message().find("missing.npy"), std::string::npos);
}

// Every golden input must load with the dtype and shape its golden.json
// declares ([16, *input_shape[1:]]), and with the same values numpy sees.
TEST_F(NpyTest, ReadsRealGoldenInputs) {
  namespace fs = std::filesystem;
  const std::string goldens = std::string(QL_TESTDATA_DIR) + "/goldens";
  python(
      "import glob, json, os\n"
      "out = {}\n"
      "for p in sorted(glob.glob(" + testing::python_literal(goldens) + " + '/*/input_*.npy')):\n"
      "    a = np.load(p)\n"
      "    out[p] = [float(a.astype(np.float64).sum()), float(a.ravel()[-1])]\n"
      "json.dump(out, open(d + '/sums.json', 'w'))\n");
  auto text = read_text_file(dir_.file("sums.json"));
  ASSERT_TRUE(text.ok()) << text.status().message();
  const auto sums = nlohmann::json::parse(*text);
  int checked = 0;
  for (const auto& entry : fs::directory_iterator(goldens)) {
    const auto meta_text = read_text_file((entry.path() / "golden.json").string());
    ASSERT_TRUE(meta_text.ok()) << meta_text.status().message();
    const auto meta = nlohmann::json::parse(*meta_text);
    for (size_t k = 0; k < meta["inputs"].size(); ++k) {
      const std::string path = (entry.path() / ("input_" + std::to_string(k) + ".npy")).string();
      SCOPED_TRACE(path);
      auto a = read_npy(path);
      ASSERT_TRUE(a.ok()) << a.status().message();
      const auto& input = meta["inputs"][k];
      EXPECT_EQ(a->dtype, dtype_from_name(input["dtype"].get<std::string>()).value());
      Shape expected = input["shape"].get<Shape>();
      expected[0] = 16;
      EXPECT_EQ(a->shape, expected);
      double sum = 0;
      for (int64_t i = 0; i < a->num_elements(); ++i) sum += a->value_as_double(i);
      ASSERT_TRUE(sums.contains(path));
      // Summation order differs from numpy's pairwise sum: allow rounding.
      EXPECT_NEAR(sum, sums[path][0].get<double>(), 1e-9 * (1 + a->num_elements()));
      EXPECT_EQ(a->value_as_double(a->num_elements() - 1), sums[path][1].get<double>());
      ++checked;
    }
  }
  EXPECT_EQ(checked, static_cast<int>(sums.size()));
  EXPECT_GE(checked, 14);
}

}  // namespace
}  // namespace quantlab
