// OpKind and its per-kind facts, generated from ops.def.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "quantlab/ir/op_options.h"

namespace quantlab {

enum class OpKind : uint8_t {
#define QL_OP(Kind, NAME, code, Options, min_in, max_in, n_out) k##Kind,
#include "quantlab/ir/ops.def"
#undef QL_OP
  kOpaque,  // any builtin or custom op outside the op set (see OpaqueOptions)
};

constexpr int kNumOpKinds = static_cast<int>(OpKind::kOpaque);

struct OpKindInfo {
  const char* name;
  int32_t builtin_code;
  int min_inputs;
  int max_inputs;
  int num_outputs;
};

// Facts about a kind from ops.def; kOpaque has code -1 and unchecked arity.
const OpKindInfo& op_kind_info(OpKind kind);
inline const char* op_kind_name(OpKind kind) { return op_kind_info(kind).name; }

// The kind for a TFLite builtin code, if it is in the op set.
std::optional<OpKind> op_kind_from_builtin_code(int32_t code);
// The kind for a display name ("CONV_2D", case-insensitive), if in the op set.
std::optional<OpKind> op_kind_from_name(const std::string& name);

// Default-constructed options of the type ops.def names for `kind`.
OpOptions default_options(OpKind kind);

}  // namespace quantlab
