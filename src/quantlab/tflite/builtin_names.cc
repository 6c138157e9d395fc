#include "quantlab/tflite/builtin_names.h"

#include <iterator>

#include "quantlab/tflite/schema_generated.h"

namespace quantlab {
namespace {

// Indexed by builtin code: the code is the position in this table. Codes 206
// to 224 are unassigned in the format; TEMP_STREAMING_CONV_2D (225) is a
// temporary code and is left to the fallback name.
constexpr const char* kBuiltinNames[] = {
    "ADD", "AVERAGE_POOL_2D", "CONCATENATION", "CONV_2D", "DEPTHWISE_CONV_2D",                           // 0-4
    "DEPTH_TO_SPACE", "DEQUANTIZE", "EMBEDDING_LOOKUP", "FLOOR", "FULLY_CONNECTED",                      // 5-9
    "HASHTABLE_LOOKUP", "L2_NORMALIZATION", "L2_POOL_2D", "LOCAL_RESPONSE_NORMALIZATION", "LOGISTIC",    // 10-14
    "LSH_PROJECTION", "LSTM", "MAX_POOL_2D", "MUL", "RELU",                                              // 15-19
    "RELU_N1_TO_1", "RELU6", "RESHAPE", "RESIZE_BILINEAR", "RNN",                                        // 20-24
    "SOFTMAX", "SPACE_TO_DEPTH", "SVDF", "TANH", "CONCAT_EMBEDDINGS",                                    // 25-29
    "SKIP_GRAM", "CALL", "CUSTOM", "EMBEDDING_LOOKUP_SPARSE", "PAD",                                     // 30-34
    "UNIDIRECTIONAL_SEQUENCE_RNN", "GATHER", "BATCH_TO_SPACE_ND", "SPACE_TO_BATCH_ND", "TRANSPOSE",      // 35-39
    "MEAN", "SUB", "DIV", "SQUEEZE", "UNIDIRECTIONAL_SEQUENCE_LSTM",                                     // 40-44
    "STRIDED_SLICE", "BIDIRECTIONAL_SEQUENCE_RNN", "EXP", "TOPK_V2", "SPLIT",                            // 45-49
    "LOG_SOFTMAX", "DELEGATE", "BIDIRECTIONAL_SEQUENCE_LSTM", "CAST", "PRELU",                           // 50-54
    "MAXIMUM", "ARG_MAX", "MINIMUM", "LESS", "NEG",                                                      // 55-59
    "PADV2", "GREATER", "GREATER_EQUAL", "LESS_EQUAL", "SELECT",                                         // 60-64
    "SLICE", "SIN", "TRANSPOSE_CONV", "SPARSE_TO_DENSE", "TILE",                                         // 65-69
    "EXPAND_DIMS", "EQUAL", "NOT_EQUAL", "LOG", "SUM",                                                   // 70-74
    "SQRT", "RSQRT", "SHAPE", "POW", "ARG_MIN",                                                          // 75-79
    "FAKE_QUANT", "REDUCE_PROD", "REDUCE_MAX", "PACK", "LOGICAL_OR",                                     // 80-84
    "ONE_HOT", "LOGICAL_AND", "LOGICAL_NOT", "UNPACK", "REDUCE_MIN",                                     // 85-89
    "FLOOR_DIV", "REDUCE_ANY", "SQUARE", "ZEROS_LIKE", "FILL",                                           // 90-94
    "FLOOR_MOD", "RANGE", "RESIZE_NEAREST_NEIGHBOR", "LEAKY_RELU", "SQUARED_DIFFERENCE",                 // 95-99
    "MIRROR_PAD", "ABS", "SPLIT_V", "UNIQUE", "CEIL",                                                    // 100-104
    "REVERSE_V2", "ADD_N", "GATHER_ND", "COS", "WHERE",                                                  // 105-109
    "RANK", "ELU", "REVERSE_SEQUENCE", "MATRIX_DIAG", "QUANTIZE",                                        // 110-114
    "MATRIX_SET_DIAG", "ROUND", "HARD_SWISH", "IF", "WHILE",                                             // 115-119
    "NON_MAX_SUPPRESSION_V4", "NON_MAX_SUPPRESSION_V5", "SCATTER_ND", "SELECT_V2", "DENSIFY",            // 120-124
    "SEGMENT_SUM", "BATCH_MATMUL", "PLACEHOLDER_FOR_GREATER_OP_CODES", "CUMSUM", "CALL_ONCE",            // 125-129
    "BROADCAST_TO", "RFFT2D", "CONV_3D", "IMAG", "REAL",                                                 // 130-134
    "COMPLEX_ABS", "HASHTABLE", "HASHTABLE_FIND", "HASHTABLE_IMPORT", "HASHTABLE_SIZE",                  // 135-139
    "REDUCE_ALL", "CONV_3D_TRANSPOSE", "VAR_HANDLE", "READ_VARIABLE", "ASSIGN_VARIABLE",                 // 140-144
    "BROADCAST_ARGS", "RANDOM_STANDARD_NORMAL", "BUCKETIZE", "RANDOM_UNIFORM", "MULTINOMIAL",            // 145-149
    "GELU", "DYNAMIC_UPDATE_SLICE", "RELU_0_TO_1", "UNSORTED_SEGMENT_PROD", "UNSORTED_SEGMENT_MAX",      // 150-154
    "UNSORTED_SEGMENT_SUM", "ATAN2", "UNSORTED_SEGMENT_MIN", "SIGN", "BITCAST",                          // 155-159
    "BITWISE_XOR", "RIGHT_SHIFT", "STABLEHLO_LOGISTIC", "STABLEHLO_ADD", "STABLEHLO_DIVIDE",             // 160-164
    "STABLEHLO_MULTIPLY", "STABLEHLO_MAXIMUM", "STABLEHLO_RESHAPE", "STABLEHLO_CLAMP",                   // 165-168
    "STABLEHLO_CONCATENATE", "STABLEHLO_BROADCAST_IN_DIM", "STABLEHLO_CONVOLUTION", "STABLEHLO_SLICE",   // 169-172
    "STABLEHLO_CUSTOM_CALL", "STABLEHLO_REDUCE", "STABLEHLO_ABS", "STABLEHLO_AND",                       // 173-176
    "STABLEHLO_COSINE", "STABLEHLO_EXPONENTIAL", "STABLEHLO_FLOOR", "STABLEHLO_LOG",                     // 177-180
    "STABLEHLO_MINIMUM", "STABLEHLO_NEGATE", "STABLEHLO_OR", "STABLEHLO_POWER",                          // 181-184
    "STABLEHLO_REMAINDER", "STABLEHLO_RSQRT", "STABLEHLO_SELECT", "STABLEHLO_SUBTRACT",                  // 185-188
    "STABLEHLO_TANH", "STABLEHLO_SCATTER", "STABLEHLO_COMPARE", "STABLEHLO_CONVERT",                     // 189-192
    "STABLEHLO_DYNAMIC_SLICE", "STABLEHLO_DYNAMIC_UPDATE_SLICE", "STABLEHLO_PAD", "STABLEHLO_IOTA",      // 193-196
    "STABLEHLO_DOT_GENERAL", "STABLEHLO_REDUCE_WINDOW", "STABLEHLO_SORT", "STABLEHLO_WHILE",             // 197-200
    "STABLEHLO_GATHER", "STABLEHLO_TRANSPOSE", "DILATE", "STABLEHLO_RNG_BIT_GENERATOR", "REDUCE_WINDOW", // 201-205
};
static_assert(std::size(kBuiltinNames) == 206, "builtin name table must be indexed by code 0..205");

}  // namespace

std::string builtin_operator_name(int32_t code) {
  if (code >= 0 && code < static_cast<int32_t>(std::size(kBuiltinNames))) return kBuiltinNames[code];
  return "BUILTIN_" + std::to_string(code);
}

std::string builtin_options_name(uint8_t tag) {
  if (tag <= static_cast<uint8_t>(tfl::BuiltinOptions::MAX))
    return tfl::EnumNameBuiltinOptions(static_cast<tfl::BuiltinOptions>(tag));
  return "BuiltinOptions#" + std::to_string(tag);
}

}  // namespace quantlab
