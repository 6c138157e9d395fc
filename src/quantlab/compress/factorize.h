// Low-rank factorization of dense layers, as graph rewrites.
//
// SVD: a FULLY_CONNECTED with weights W [out, in] becomes two: W ~ B A with
// A [rank, in] (no bias, no activation) and B [out, rank] (the original
// bias and fused activation), from the truncated SVD W = U S V^T with
// A = sqrt(S) V^T and B = U sqrt(S).
//
// Tensor train (two cores): with in = M1 * M2 (input index i = m1 * M2 + m2)
// and out = N2 * N1 (output index o = n2 * N1 + n1), the layer becomes
//   RESHAPE x -> [1, M1, M2]
//   BATCH_MATMUL with core1 [M2, N2 * R]        -> [1, M1, N2 * R]
//   TRANSPOSE (0, 2, 1)                         -> [1, N2 * R, M1]
//   RESHAPE                                     -> [1, N2, R * M1]
//   BATCH_MATMUL with core2 [R * M1, N1]        -> [1, N2, N1]
//   RESHAPE                                     -> the layer's output shape
//   ADD bias (the layer's fused activation)
// which computes y[n2, n1] = sum over m1, m2, r of
//   x[m1, m2] core1[m2, n2, r] core2[r, m1, n1],
// i.e. W[(n2, n1), (m1, m2)] = sum_r core1[(m2, n2), r] core2[r, (m1, n1)]:
// the cores are the rank-R truncated SVD of W rearranged as the matrix
// [(m2, n2), (m1, n1)] (the TT-SVD of a two-core train). The chain uses only
// ops every TFLite runtime has.
//
// This header does not include libtorch, so the CLI can use it.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "quantlab/core/status.h"
#include "quantlab/ir/graph.h"

namespace quantlab::compress {

enum class FactorMethod : uint8_t { kSvd, kTensorTrain };
const char* factor_method_name(FactorMethod method);

struct FactorizeOptions {
  FactorMethod method = FactorMethod::kSvd;
  int32_t rank = 4;  // >= 1
  // Op indices of the FULLY_CONNECTED layers to factorize; empty: every
  // dense layer whose factorization has fewer parameters than the layer.
  std::vector<int32_t> ops;
  // Tensor train: {M1, M2} with M1 * M2 = in and {N1, N2} with N1 * N2 =
  // out; {0, 0} chooses the most balanced split (a listed layer whose
  // dimension is prime cannot be factorized).
  std::array<int32_t, 2> in_factors{0, 0};
  std::array<int32_t, 2> out_factors{0, 0};
};

struct FactorizedLayer {
  int32_t op_index = -1;  // in the graph before the rewrite
  std::string name;       // the weight tensor's name
  int32_t in = 0, out = 0, rank = 0;
  std::array<int32_t, 2> in_factors{0, 0}, out_factors{0, 0};  // tensor train only
  int64_t weights_before = 0;  // weight elements (bias excluded)
  int64_t weights_after = 0;
  double relative_error = 0;   // ||W - W_r||_F / ||W||_F of the truncation
};

// The rank-`rank` parameter count of a dense layer [out, in], or -1 when the
// method cannot factorize it (a rank above the maximum, or a prime
// dimension for the tensor train).
int64_t factorized_weight_count(FactorMethod method, int32_t out, int32_t in, int32_t rank,
                                std::array<int32_t, 2> in_factors = {0, 0},
                                std::array<int32_t, 2> out_factors = {0, 0});

// The most balanced split n = a * b with 2 <= a <= b, or {0, 0} for n < 4
// or a prime n.
std::array<int32_t, 2> balanced_factors(int32_t n);

// Rewrites the chosen dense layers of `graph` in place (op indices of
// later ops shift). Errors name the op and the reason it cannot be
// factorized (a non-constant or non-float weight, an input of more than one
// row, a rank above the maximum, factors that do not multiply out).
Result<std::vector<FactorizedLayer>> factorize_dense_layers(Graph* graph, const FactorizeOptions& options);

}  // namespace quantlab::compress
