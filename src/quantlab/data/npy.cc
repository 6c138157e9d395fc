#include "quantlab/data/npy.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

#include "quantlab/core/file_io.h"

namespace quantlab {
namespace {

constexpr uint8_t kMagic[] = {0x93, 'N', 'U', 'M', 'P', 'Y'};
constexpr size_t kMagicSize = sizeof(kMagic);
// numpy itself refuses headers above 10000 bytes unless told otherwise; a
// megabyte leaves room for any real shape while bounding a hostile file.
constexpr uint32_t kMaxHeaderBytes = 1u << 20;
// The data offset is padded to a multiple of 64 so memory-mapped readers
// can use aligned vector loads.
constexpr size_t kDataAlignment = 64;
// Nesting deeper than this in a header is malformed, not a real dtype.
constexpr int kMaxLiteralDepth = 16;

struct DescrEntry {
  DType dtype;
  char kind;  // numpy kind character: 'f', 'i', 'u', 'b'
};

constexpr DescrEntry kDescrTable[] = {
    {DType::kFloat16, 'f'}, {DType::kFloat32, 'f'}, {DType::kFloat64, 'f'}, {DType::kInt8, 'i'},
    {DType::kUInt8, 'u'},   {DType::kInt16, 'i'},   {DType::kUInt16, 'u'},  {DType::kInt32, 'i'},
    {DType::kUInt32, 'u'},  {DType::kInt64, 'i'},   {DType::kUInt64, 'u'},  {DType::kBool, 'b'},
};

// A Python literal as it appears in an .npy header. Only the forms numpy
// writes (and a few it could) are understood: strings, ints, True/False/None,
// tuples, lists and dicts with string keys.
struct PyLiteral {
  enum class Kind { kString, kInt, kBool, kNone, kTuple, kList, kDict };
  Kind kind = Kind::kNone;
  std::string text;  // kString
  int64_t integer = 0;
  bool boolean = false;
  std::vector<PyLiteral> items;                              // kTuple, kList
  std::vector<std::pair<std::string, PyLiteral>> entries;    // kDict
};

class HeaderParser {
 public:
  explicit HeaderParser(const std::string& text) : text_(text) {}

  Result<PyLiteral> parse_whole() {
    QL_ASSIGN_OR_RETURN(PyLiteral value, parse_value(0));
    skip_space();
    if (pos_ != text_.size()) return error("unexpected text after the dictionary");
    return value;
  }

 private:
  Status error(const std::string& what) const {
    return invalid_argument("malformed header at character " + std::to_string(pos_) + ": " + what);
  }

  void skip_space() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t' || text_[pos_] == '\n' ||
                                   text_[pos_] == '\r'))
      ++pos_;
  }

  bool consume(char c) {
    skip_space();
    if (pos_ < text_.size() && text_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }

  bool consume_word(const char* word) {
    const size_t n = std::strlen(word);
    if (text_.compare(pos_, n, word) != 0) return false;
    pos_ += n;
    return true;
  }

  Result<PyLiteral> parse_value(int depth) {
    if (depth > kMaxLiteralDepth) return error("nesting too deep");
    skip_space();
    if (pos_ >= text_.size()) return error("unexpected end of header");
    const char c = text_[pos_];
    PyLiteral v;
    if (c == '\'' || c == '"') {
      QL_ASSIGN_OR_RETURN(v.text, parse_string());
      v.kind = PyLiteral::Kind::kString;
      return v;
    }
    if (c == '(' || c == '[') {
      ++pos_;
      v.kind = c == '(' ? PyLiteral::Kind::kTuple : PyLiteral::Kind::kList;
      QL_RETURN_IF_ERROR(parse_sequence(c == '(' ? ')' : ']', depth, &v.items));
      return v;
    }
    if (c == '{') {
      ++pos_;
      v.kind = PyLiteral::Kind::kDict;
      QL_RETURN_IF_ERROR(parse_dict(depth, &v.entries));
      return v;
    }
    if (c == '-' || (c >= '0' && c <= '9')) {
      QL_ASSIGN_OR_RETURN(v.integer, parse_integer());
      v.kind = PyLiteral::Kind::kInt;
      return v;
    }
    if (consume_word("True")) {
      v.kind = PyLiteral::Kind::kBool;
      v.boolean = true;
      return v;
    }
    if (consume_word("False")) {
      v.kind = PyLiteral::Kind::kBool;
      return v;
    }
    if (consume_word("None")) return v;
    return error(std::string("unexpected character '") + c + "'");
  }

  Result<std::string> parse_string() {
    const char quote = text_[pos_++];
    std::string out;
    while (pos_ < text_.size() && text_[pos_] != quote) {
      if (text_[pos_] == '\\') {
        if (pos_ + 1 >= text_.size()) break;
        ++pos_;
      }
      out += text_[pos_++];
    }
    if (pos_ >= text_.size()) return error("unterminated string");
    ++pos_;
    return out;
  }

  Result<int64_t> parse_integer() {
    const bool negative = text_[pos_] == '-';
    if (negative) ++pos_;
    if (pos_ >= text_.size() || text_[pos_] < '0' || text_[pos_] > '9') return error("expected a digit");
    int64_t value = 0;
    while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') {
      const int digit = text_[pos_] - '0';
      if (value > (std::numeric_limits<int64_t>::max() - digit) / 10) return error("integer too large");
      value = value * 10 + digit;
      ++pos_;
    }
    // Headers written by Python 2 mark longs with a trailing L.
    if (pos_ < text_.size() && text_[pos_] == 'L') ++pos_;
    return negative ? -value : value;
  }

  Status parse_sequence(char close, int depth, std::vector<PyLiteral>* items) {
    if (consume(close)) return Status::Ok();
    while (true) {
      QL_ASSIGN_OR_RETURN(PyLiteral item, parse_value(depth + 1));
      items->push_back(std::move(item));
      if (consume(close)) return Status::Ok();
      if (!consume(',')) return error(std::string("expected ',' or '") + close + "'");
      if (consume(close)) return Status::Ok();  // trailing comma, as in "(3,)"
    }
  }

  Status parse_dict(int depth, std::vector<std::pair<std::string, PyLiteral>>* entries) {
    if (consume('}')) return Status::Ok();
    while (true) {
      skip_space();
      if (pos_ >= text_.size() || (text_[pos_] != '\'' && text_[pos_] != '"'))
        return error("expected a string key");
      QL_ASSIGN_OR_RETURN(std::string key, parse_string());
      if (!consume(':')) return error("expected ':' after key '" + key + "'");
      QL_ASSIGN_OR_RETURN(PyLiteral value, parse_value(depth + 1));
      entries->emplace_back(std::move(key), std::move(value));
      if (consume('}')) return Status::Ok();
      if (!consume(',')) return error("expected ',' or '}'");
      if (consume('}')) return Status::Ok();
    }
  }

  const std::string& text_;
  size_t pos_ = 0;
};

// Maps a descr string to a DType, with an error that says what is wrong.
Result<DType> dtype_from_descr(const std::string& descr) {
  if (descr.size() < 3) return unsupported("unsupported descr '" + descr + "'");
  const char order = descr[0];
  const char kind = descr[1];
  const std::string size_text = descr.substr(2);
  if (kind == 'O') return unsupported("object arrays (descr '" + descr + "') are not supported");
  if (size_text.find_first_not_of("0123456789") != std::string::npos || size_text.size() > 2)
    return unsupported("unsupported descr '" + descr + "'");
  const size_t size = static_cast<size_t>(std::stoi(size_text));
  const DType* match = nullptr;
  for (const auto& entry : kDescrTable)
    if (entry.kind == kind && dtype_size(entry.dtype) == size) match = &entry.dtype;
  if (!match) return unsupported("unsupported descr '" + descr + "' (element kind '" + kind + "', " +
                                 size_text + " bytes)");
  if (order != '<' && order != '|' && order != '=' && order != '>')
    return invalid_argument("descr '" + descr + "' has an unknown byte-order mark '" + order + "'");
  // '=' means the writer's native order, which numpy never stores in a file;
  // treat it as little-endian, the only order quantlab runs on.
  if (order == '>' && size > 1)
    return unsupported("big-endian data (descr '" + descr + "') is not supported; convert it with "
                       "array.astype('<" + descr.substr(1) + "')");
  return *match;
}

const PyLiteral* find_entry(const PyLiteral& dict, const std::string& key) {
  for (const auto& [k, v] : dict.entries)
    if (k == key) return &v;
  return nullptr;
}

uint32_t read_le32(const uint8_t* p) {
  return uint32_t{p[0]} | (uint32_t{p[1]} << 8) | (uint32_t{p[2]} << 16) | (uint32_t{p[3]} << 24);
}

// IEEE half -> double; every half value is exactly representable.
double half_to_double(uint16_t h) {
  const int sign = (h >> 15) & 1;
  const int exponent = (h >> 10) & 0x1f;
  const int mantissa = h & 0x3ff;
  double magnitude;
  if (exponent == 0) {
    magnitude = std::ldexp(static_cast<double>(mantissa), -24);
  } else if (exponent == 31) {
    magnitude = mantissa ? std::numeric_limits<double>::quiet_NaN() : std::numeric_limits<double>::infinity();
  } else {
    magnitude = std::ldexp(static_cast<double>(mantissa | 0x400), exponent - 25);
  }
  return sign ? -magnitude : magnitude;
}

template <typename T>
double load_as_double(const uint8_t* bytes, int64_t index) {
  T v;
  std::memcpy(&v, bytes + index * static_cast<int64_t>(sizeof(T)), sizeof(T));
  return static_cast<double>(v);
}

std::string shape_literal(const Shape& shape) {
  std::string s = "(";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ", ";
    s += std::to_string(shape[i]);
  }
  if (shape.size() == 1) s += ",";
  return s + ")";
}

}  // namespace

double Array::value_as_double(int64_t index) const {
  const uint8_t* p = bytes.data();
  switch (dtype) {
    case DType::kFloat32: return load_as_double<float>(p, index);
    case DType::kFloat64: return load_as_double<double>(p, index);
    case DType::kFloat16: {
      uint16_t h;
      std::memcpy(&h, p + index * 2, 2);
      return half_to_double(h);
    }
    case DType::kInt8: return load_as_double<int8_t>(p, index);
    case DType::kUInt8: return load_as_double<uint8_t>(p, index);
    case DType::kInt16: return load_as_double<int16_t>(p, index);
    case DType::kUInt16: return load_as_double<uint16_t>(p, index);
    case DType::kInt32: return load_as_double<int32_t>(p, index);
    case DType::kUInt32: return load_as_double<uint32_t>(p, index);
    case DType::kInt64: return load_as_double<int64_t>(p, index);
    case DType::kUInt64: return load_as_double<uint64_t>(p, index);
    case DType::kBool: return p[index] ? 1.0 : 0.0;
    case DType::kString: break;
  }
  return std::numeric_limits<double>::quiet_NaN();
}

Array Array::zeros(DType dtype, const Shape& shape) {
  Array a;
  a.dtype = dtype;
  a.shape = shape;
  a.bytes.assign(static_cast<size_t>(quantlab::num_elements(shape)) * dtype_size(dtype), 0);
  return a;
}

std::string npy_descr(DType dtype) {
  if (dtype == DType::kString) return "";
  for (const auto& entry : kDescrTable) {
    if (entry.dtype != dtype) continue;
    const size_t size = dtype_size(dtype);
    return std::string(1, size == 1 ? '|' : '<') + entry.kind + std::to_string(size);
  }
  return "";
}

namespace {

// What the header of an .npy image says, before the descr is interpreted.
struct NpyHeader {
  std::string descr;
  bool fortran_order = false;
  Shape shape;
  size_t data_offset = 0;
};

Result<NpyHeader> parse_npy_header(const uint8_t* data, size_t size) {
  if (size < kMagicSize + 4 || std::memcmp(data, kMagic, kMagicSize) != 0)
    return invalid_argument("not a .npy file (missing the \\x93NUMPY magic)");
  const uint8_t major = data[6];
  const uint8_t minor = data[7];
  size_t header_len;
  size_t prefix;
  if (major == 1) {
    header_len = size_t{data[8]} | (size_t{data[9]} << 8);
    prefix = 10;
  } else if (major == 2 || major == 3) {
    if (size < 12) return invalid_argument("truncated header length");
    header_len = read_le32(data + 8);
    prefix = 12;
  } else {
    return unsupported("unsupported .npy format version " + std::to_string(major) + "." + std::to_string(minor));
  }
  if (header_len > kMaxHeaderBytes)
    return invalid_argument("header length " + std::to_string(header_len) + " exceeds " +
                            std::to_string(kMaxHeaderBytes) + " bytes");
  if (prefix + header_len > size)
    return invalid_argument("truncated header: declares " + std::to_string(header_len) + " bytes but only " +
                            std::to_string(size - prefix) + " remain");
  // Versions 1 and 2 are latin-1, version 3 UTF-8; the keys and values that
  // matter are ASCII in all three, so the bytes are parsed as they are.
  const std::string text(reinterpret_cast<const char*>(data + prefix), header_len);
  HeaderParser parser(text);
  QL_ASSIGN_OR_RETURN(PyLiteral literal, parser.parse_whole());
  if (literal.kind != PyLiteral::Kind::kDict) return invalid_argument("header is not a dictionary");

  for (const auto& [key, value] : literal.entries) {
    if (key != "descr" && key != "fortran_order" && key != "shape")
      return invalid_argument("header has an unexpected key '" + key + "'");
  }
  const PyLiteral* descr = find_entry(literal, "descr");
  const PyLiteral* fortran = find_entry(literal, "fortran_order");
  const PyLiteral* shape_value = find_entry(literal, "shape");
  if (!descr) return invalid_argument("header lacks the 'descr' key");
  if (!fortran) return invalid_argument("header lacks the 'fortran_order' key");
  if (!shape_value) return invalid_argument("header lacks the 'shape' key");
  if (descr->kind != PyLiteral::Kind::kString)
    return unsupported("structured dtypes (a non-string 'descr') are not supported");
  if (fortran->kind != PyLiteral::Kind::kBool) return invalid_argument("'fortran_order' must be True or False");
  if (shape_value->kind != PyLiteral::Kind::kTuple) return invalid_argument("'shape' must be a tuple of integers");

  NpyHeader header;
  header.descr = descr->text;
  header.fortran_order = fortran->boolean;
  header.data_offset = prefix + header_len;
  for (const auto& dim : shape_value->items) {
    if (dim.kind != PyLiteral::Kind::kInt) return invalid_argument("'shape' must be a tuple of integers");
    if (dim.integer < 0 || dim.integer > std::numeric_limits<int32_t>::max())
      return invalid_argument("shape dimension " + std::to_string(dim.integer) + " is out of range [0, 2^31)");
    header.shape.push_back(static_cast<int32_t>(dim.integer));
  }
  // A Fortran-order array with at most one dimension above 1 has the same
  // layout as C order.
  int non_trivial_dims = 0;
  for (int32_t d : header.shape) non_trivial_dims += d > 1;
  if (header.fortran_order && non_trivial_dims > 1)
    return unsupported("fortran_order=True arrays are not supported; save with np.ascontiguousarray");
  return header;
}

// Checks that exactly `item_size` * elements bytes follow the header.
Status check_payload_size(const NpyHeader& header, size_t item_size, size_t size) {
  QL_ASSIGN_OR_RETURN(int64_t count, checked_num_elements(header.shape));
  const uint64_t expected = static_cast<uint64_t>(count) * item_size;
  const uint64_t available = size - header.data_offset;
  if (available < expected)
    return invalid_argument("truncated data: shape " + shape_to_string(header.shape) + " of " + header.descr +
                            " needs " + std::to_string(expected) + " bytes but only " + std::to_string(available) +
                            " follow the header");
  if (available > expected)
    return invalid_argument(std::to_string(available - expected) + " unexpected bytes after the " +
                            std::to_string(expected) + " bytes of data");
  return Status::Ok();
}

}  // namespace

Result<Array> parse_npy(const uint8_t* data, size_t size, const std::string& source) {
  auto fail = [&source](const Status& s) { return s.with_context(source); };
  auto header = parse_npy_header(data, size);
  if (!header.ok()) return fail(header.status());
  auto dtype = dtype_from_descr(header->descr);
  if (!dtype.ok()) return fail(dtype.status());
  Array array;
  array.dtype = *dtype;
  array.shape = header->shape;
  const Status payload = check_payload_size(*header, dtype_size(array.dtype), size);
  if (!payload.ok()) return fail(payload);
  array.bytes.assign(data + header->data_offset, data + size);
  if (array.dtype == DType::kBool) {
    for (size_t i = 0; i < array.bytes.size(); ++i)
      if (array.bytes[i] > 1)
        return fail(invalid_argument("bool element " + std::to_string(i) + " holds byte value " +
                                     std::to_string(array.bytes[i]) + " (must be 0 or 1)"));
  }
  return array;
}

Result<Array> read_npy(const std::string& path) {
  QL_ASSIGN_OR_RETURN(auto bytes, read_file(path));
  return parse_npy(bytes.data(), bytes.size(), path);
}

namespace {

// Header + payload for `descr` and `shape`.
std::vector<uint8_t> assemble_npy(const std::string& descr, const Shape& shape, const uint8_t* payload,
                                  size_t payload_size) {
  std::string header = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + shape_literal(shape) + ", }";
  // Pad with spaces so the data starts on an aligned offset; the header
  // ends with a newline as numpy requires.
  auto padded_length = [&header](size_t prefix) {
    const size_t unpadded = prefix + header.size() + 1;
    return header.size() + 1 + (kDataAlignment - unpadded % kDataAlignment) % kDataAlignment;
  };
  uint8_t major = 1;
  size_t prefix = 10;
  size_t header_len = padded_length(prefix);
  if (header_len > 0xffff) {
    major = 2;
    prefix = 12;
    header_len = padded_length(prefix);
  }
  header.append(header_len - header.size() - 1, ' ');
  header += '\n';

  std::vector<uint8_t> out;
  out.reserve(prefix + header_len + payload_size);
  out.insert(out.end(), kMagic, kMagic + kMagicSize);
  out.push_back(major);
  out.push_back(0);
  const size_t len_bytes = major == 1 ? 2 : 4;
  for (size_t i = 0; i < len_bytes; ++i) out.push_back(static_cast<uint8_t>((header_len >> (8 * i)) & 0xff));
  out.insert(out.end(), header.begin(), header.end());
  out.insert(out.end(), payload, payload + payload_size);
  return out;
}

void append_utf8(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    *out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    *out += static_cast<char>(0xc0 | (cp >> 6));
    *out += static_cast<char>(0x80 | (cp & 0x3f));
  } else if (cp < 0x10000) {
    *out += static_cast<char>(0xe0 | (cp >> 12));
    *out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    *out += static_cast<char>(0x80 | (cp & 0x3f));
  } else {
    *out += static_cast<char>(0xf0 | (cp >> 18));
    *out += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
    *out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    *out += static_cast<char>(0x80 | (cp & 0x3f));
  }
}

bool is_valid_code_point(uint32_t cp) { return cp <= 0x10ffff && !(cp >= 0xd800 && cp <= 0xdfff); }

// Decodes UTF-8 strictly (no overlong forms, surrogates or values above
// U+10FFFF); false on the first invalid sequence.
bool decode_utf8(const std::string& text, std::vector<uint32_t>* code_points) {
  size_t i = 0;
  while (i < text.size()) {
    const auto lead = static_cast<uint8_t>(text[i]);
    int extra;
    uint32_t cp;
    uint32_t min_value;
    if (lead < 0x80) { extra = 0; cp = lead; min_value = 0; }
    else if ((lead & 0xe0) == 0xc0) { extra = 1; cp = lead & 0x1f; min_value = 0x80; }
    else if ((lead & 0xf0) == 0xe0) { extra = 2; cp = lead & 0x0f; min_value = 0x800; }
    else if ((lead & 0xf8) == 0xf0) { extra = 3; cp = lead & 0x07; min_value = 0x10000; }
    else return false;
    if (i + extra >= text.size()) return false;  // sequence runs past the end
    for (int k = 1; k <= extra; ++k) {
      const auto cont = static_cast<uint8_t>(text[i + k]);
      if ((cont & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (cont & 0x3f);
    }
    if (cp < min_value || !is_valid_code_point(cp)) return false;
    code_points->push_back(cp);
    i += 1 + extra;
  }
  return true;
}

}  // namespace

std::vector<uint8_t> serialize_npy(const Array& array) {
  const std::string descr = npy_descr(array.dtype);
  if (descr.empty() || !array.consistent()) return {};
  return assemble_npy(descr, array.shape, array.bytes.data(), array.bytes.size());
}

Result<std::vector<std::string>> parse_npy_strings(const uint8_t* data, size_t size, const std::string& source) {
  auto fail = [&source](const Status& s) { return s.with_context(source); };
  auto header = parse_npy_header(data, size);
  if (!header.ok()) return fail(header.status());
  const std::string& descr = header->descr;
  const bool is_unicode = descr.size() >= 3 && descr[1] == 'U';
  const bool is_bytes = descr.size() >= 3 && descr[1] == 'S';
  const std::string width_text = descr.size() >= 3 ? descr.substr(2) : "";
  if ((!is_unicode && !is_bytes) || width_text.empty() || width_text.size() > 6 ||
      width_text.find_first_not_of("0123456789") != std::string::npos)
    return fail(invalid_argument("expected a text array (descr '<U<n>' or '|S<n>'), found descr '" + descr + "'"));
  if (is_unicode && descr[0] == '>')
    return fail(unsupported("big-endian text (descr '" + descr + "') is not supported"));
  if (header->shape.size() != 1)
    return fail(invalid_argument("expected a one-dimensional text array, found shape " +
                                 shape_to_string(header->shape)));
  const size_t width = static_cast<size_t>(std::stoi(width_text));
  // numpy never writes a zero width (empty strings are stored as '<U1'), and
  // with no bytes per element the element count would be bounded by nothing
  // in the file: a 128-byte header could ask for 2^31 strings.
  if (width == 0) return fail(invalid_argument("text descr '" + descr + "' has zero width"));
  const size_t item_size = is_unicode ? 4 * width : width;
  const Status payload = check_payload_size(*header, item_size, size);
  if (!payload.ok()) return fail(payload);

  std::vector<std::string> strings;
  const uint8_t* p = data + header->data_offset;
  for (int32_t i = 0; i < header->shape[0]; ++i, p += item_size) {
    std::string text;
    if (is_bytes) {
      text.assign(reinterpret_cast<const char*>(p), width);
    } else {
      for (size_t k = 0; k < width; ++k) {
        const uint32_t cp = read_le32(p + 4 * k);
        if (!is_valid_code_point(cp))
          return fail(invalid_argument("text element " + std::to_string(i) + " holds invalid code point " +
                                       std::to_string(cp)));
        append_utf8(cp, &text);
      }
    }
    // numpy pads shorter strings with NULs and strips them when reading.
    while (!text.empty() && text.back() == '\0') text.pop_back();
    strings.push_back(std::move(text));
  }
  return strings;
}

Result<std::vector<uint8_t>> serialize_npy_strings(const std::vector<std::string>& strings) {
  if (strings.size() > static_cast<size_t>(std::numeric_limits<int32_t>::max()))
    return invalid_argument("too many strings for one array: " + std::to_string(strings.size()));
  std::vector<std::vector<uint32_t>> decoded(strings.size());
  size_t width = 1;  // numpy has no zero-width '<U0' for a list of empty strings
  for (size_t i = 0; i < strings.size(); ++i) {
    if (!decode_utf8(strings[i], &decoded[i]))
      return invalid_argument("string " + std::to_string(i) + " is not valid UTF-8");
    width = std::max(width, decoded[i].size());
  }
  std::vector<uint8_t> payload(strings.size() * width * 4, 0);
  for (size_t i = 0; i < decoded.size(); ++i)
    for (size_t k = 0; k < decoded[i].size(); ++k)
      for (int b = 0; b < 4; ++b)
        payload[(i * width + k) * 4 + b] = static_cast<uint8_t>((decoded[i][k] >> (8 * b)) & 0xff);
  return assemble_npy("<U" + std::to_string(width), {static_cast<int32_t>(strings.size())}, payload.data(),
                      payload.size());
}

Status write_npy(const std::string& path, const Array& array) {
  if (npy_descr(array.dtype).empty())
    return unsupported(path + ": cannot write " + std::string(dtype_name(array.dtype)) + " arrays as .npy");
  if (!array.consistent())
    return invalid_argument(path + ": array of shape " + shape_to_string(array.shape) + " and dtype " +
                            dtype_name(array.dtype) + " holds " + std::to_string(array.bytes.size()) +
                            " bytes, which does not match");
  return write_file_atomic(path, serialize_npy(array));
}

}  // namespace quantlab
