// Typed option structs, one per options kind named in ops.def. These are
// parsed values: nothing here knows about flatbuffers.
#pragma once

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

namespace quantlab {

enum class Activation : uint8_t { kNone, kRelu, kReluN1To1, kRelu6, kTanh, kSignBit };
enum class Padding : uint8_t { kSame, kValid };

const char* activation_name(Activation a);
const char* padding_name(Padding p);

struct NoOptions {
  bool operator==(const NoOptions&) const { return true; }
};

struct AddOptions {
  Activation activation = Activation::kNone;
  bool pot_scale_int16 = true;
  bool operator==(const AddOptions& o) const { return activation == o.activation && pot_scale_int16 == o.pot_scale_int16; }
};

struct MulOptions {
  Activation activation = Activation::kNone;
  bool operator==(const MulOptions& o) const { return activation == o.activation; }
};

struct ConcatenationOptions {
  int axis = 0;
  Activation activation = Activation::kNone;
  bool operator==(const ConcatenationOptions& o) const { return axis == o.axis && activation == o.activation; }
};

struct Conv2DOptions {
  Padding padding = Padding::kSame;
  int stride_w = 1, stride_h = 1;
  Activation activation = Activation::kNone;
  int dilation_w = 1, dilation_h = 1;
  bool operator==(const Conv2DOptions& o) const {
    return padding == o.padding && stride_w == o.stride_w && stride_h == o.stride_h &&
           activation == o.activation && dilation_w == o.dilation_w && dilation_h == o.dilation_h;
  }
};

struct DepthwiseConv2DOptions {
  Padding padding = Padding::kSame;
  int stride_w = 1, stride_h = 1;
  int depth_multiplier = 1;
  Activation activation = Activation::kNone;
  int dilation_w = 1, dilation_h = 1;
  bool operator==(const DepthwiseConv2DOptions& o) const {
    return padding == o.padding && stride_w == o.stride_w && stride_h == o.stride_h &&
           depth_multiplier == o.depth_multiplier && activation == o.activation &&
           dilation_w == o.dilation_w && dilation_h == o.dilation_h;
  }
};

struct Pool2DOptions {
  Padding padding = Padding::kValid;
  int stride_w = 1, stride_h = 1;
  int filter_w = 1, filter_h = 1;
  Activation activation = Activation::kNone;
  bool operator==(const Pool2DOptions& o) const {
    return padding == o.padding && stride_w == o.stride_w && stride_h == o.stride_h &&
           filter_w == o.filter_w && filter_h == o.filter_h && activation == o.activation;
  }
};

struct FullyConnectedOptions {
  Activation activation = Activation::kNone;
  bool keep_num_dims = false;
  // Hybrid kernels only: quantize each input row asymmetrically (else symmetric).
  bool asymmetric_quantize_inputs = false;
  bool operator==(const FullyConnectedOptions& o) const {
    return activation == o.activation && keep_num_dims == o.keep_num_dims &&
           asymmetric_quantize_inputs == o.asymmetric_quantize_inputs;
  }
};

struct ReshapeOptions {
  // The target shape given in the options; `has_new_shape` distinguishes an
  // absent field from an empty (scalar) shape.
  bool has_new_shape = false;
  std::vector<int32_t> new_shape;
  bool operator==(const ReshapeOptions& o) const { return has_new_shape == o.has_new_shape && new_shape == o.new_shape; }
};

struct SoftmaxOptions {
  float beta = 1.0f;
  bool operator==(const SoftmaxOptions& o) const { return beta == o.beta; }
};

struct ReducerOptions {
  bool keep_dims = false;
  bool operator==(const ReducerOptions& o) const { return keep_dims == o.keep_dims; }
};

struct SqueezeOptions {
  std::vector<int32_t> squeeze_dims;
  bool operator==(const SqueezeOptions& o) const { return squeeze_dims == o.squeeze_dims; }
};

struct BatchMatMulOptions {
  bool adj_x = false, adj_y = false;
  bool asymmetric_quantize_inputs = false;
  bool operator==(const BatchMatMulOptions& o) const {
    return adj_x == o.adj_x && adj_y == o.adj_y && asymmetric_quantize_inputs == o.asymmetric_quantize_inputs;
  }
};

// An operator outside the op set, kept so that inspect and read/write round
// trips work on every model. Its options are preserved as the scalar fields
// of the options table (slot -> little-endian bytes), which covers every
// builtin options table made only of scalars.
struct OpaqueOptions {
  std::string name;                 // display name: builtin operator name or custom code
  int32_t builtin_code = 0;
  std::string custom_code;          // non-empty for custom ops
  uint8_t options_type = 0;         // BuiltinOptions union tag (0 = none)
  struct Field {
    uint16_t slot;                  // field index in the options table
    std::vector<uint8_t> bytes;     // raw little-endian value
    bool operator==(const Field& o) const { return slot == o.slot && bytes == o.bytes; }
  };
  std::vector<Field> fields;
  std::vector<uint8_t> custom_options;  // custom ops' opaque option bytes
  bool operator==(const OpaqueOptions& o) const {
    return name == o.name && builtin_code == o.builtin_code && custom_code == o.custom_code && options_type == o.options_type &&
           fields == o.fields && custom_options == o.custom_options;
  }
};

using OpOptions = std::variant<NoOptions, AddOptions, MulOptions, ConcatenationOptions, Conv2DOptions,
                               DepthwiseConv2DOptions, Pool2DOptions, FullyConnectedOptions, ReshapeOptions,
                               SoftmaxOptions, ReducerOptions, SqueezeOptions, BatchMatMulOptions, OpaqueOptions>;

}  // namespace quantlab
