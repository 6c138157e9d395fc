// Which vector instructions the optimized kernels may use, decided at run
// time: the library is built without -march flags, so every kernel has a
// portable form and, beside it, forms compiled for AVX2 and AVX-512 through
// per-function target attributes, selected by what the CPU reports.
#pragma once

#include <cstdint>
#include <vector>

namespace quantlab {

enum class SimdLevel : uint8_t {
  kPortable,  // plain C++, any CPU
  kAvx2,      // AVX2 + FMA
  kAvx512,    // AVX-512 F, BW, VL and VNNI (8-bit dot products)
};

const char* simd_level_name(SimdLevel level);

// The best level this CPU supports (detected once).
SimdLevel best_simd_level();

// Every level this CPU can run, lowest first; tests run each kernel at each.
std::vector<SimdLevel> supported_simd_levels();

}  // namespace quantlab
