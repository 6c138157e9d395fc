// Display names of TFLite builtin operator codes and options-union tags, for
// operators outside quantlab's op set (inspect and error messages show them).
#pragma once

#include <cstdint>
#include <string>

namespace quantlab {

// "UNIDIRECTIONAL_SEQUENCE_LSTM" for 44; "BUILTIN_<code>" for codes the table
// does not know (newer than this table, or negative).
std::string builtin_operator_name(int32_t code);

// "UnidirectionalSequenceLSTMOptions" for tag 71; "BuiltinOptions#<tag>" for
// tags beyond the declared union members; "NONE" for 0.
std::string builtin_options_name(uint8_t tag);

}  // namespace quantlab
