#include "quantlab/ir/op_kind.h"

#include <algorithm>
#include <cctype>

namespace quantlab {
namespace {

constexpr OpKindInfo kInfos[] = {
#define QL_OP(Kind, NAME, code, Options, min_in, max_in, n_out) {#NAME, code, min_in, max_in, n_out},
#include "quantlab/ir/ops.def"
#undef QL_OP
    {"OPAQUE", -1, 0, 1 << 20, 0},
};
static_assert(sizeof(kInfos) / sizeof(kInfos[0]) == kNumOpKinds + 1, "ops.def and OpKind disagree");

// Every options type named in ops.def must be an alternative of OpOptions.
#define QL_OP(Kind, NAME, code, Options, min_in, max_in, n_out) \
  static_assert(std::is_constructible_v<OpOptions, Options>, #Options " is not in OpOptions");
#include "quantlab/ir/ops.def"
#undef QL_OP

}  // namespace

const OpKindInfo& op_kind_info(OpKind kind) { return kInfos[static_cast<int>(kind)]; }

std::optional<OpKind> op_kind_from_builtin_code(int32_t code) {
  for (int i = 0; i < kNumOpKinds; ++i)
    if (kInfos[i].builtin_code == code) return static_cast<OpKind>(i);
  return std::nullopt;
}

std::optional<OpKind> op_kind_from_name(const std::string& name) {
  std::string upper = name;
  std::transform(upper.begin(), upper.end(), upper.begin(), [](unsigned char c) { return std::toupper(c); });
  for (int i = 0; i < kNumOpKinds; ++i)
    if (upper == kInfos[i].name) return static_cast<OpKind>(i);
  return std::nullopt;
}

OpOptions default_options(OpKind kind) {
  switch (kind) {
#define QL_OP(Kind, NAME, code, Options, min_in, max_in, n_out) \
  case OpKind::k##Kind:                                         \
    return Options{};
#include "quantlab/ir/ops.def"
#undef QL_OP
    case OpKind::kOpaque:
      return OpaqueOptions{};
  }
  return NoOptions{};
}

const char* activation_name(Activation a) {
  switch (a) {
    case Activation::kNone: return "NONE";
    case Activation::kRelu: return "RELU";
    case Activation::kReluN1To1: return "RELU_N1_TO_1";
    case Activation::kRelu6: return "RELU6";
    case Activation::kTanh: return "TANH";
    case Activation::kSignBit: return "SIGN_BIT";
  }
  return "?";
}

const char* padding_name(Padding p) { return p == Padding::kSame ? "SAME" : "VALID"; }

}  // namespace quantlab
