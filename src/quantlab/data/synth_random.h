// The random source of the synthetic generators. The draws are written out
// (instead of using <random>'s distributions, whose algorithms each standard
// library chooses) so that a seed gives the same data with every compiler.
#pragma once

#include <cmath>
#include <cstdint>
#include <random>

namespace quantlab::synth {

class SynthRandom {
 public:
  explicit SynthRandom(uint64_t seed) : engine_(seed) {}

  // An independent stream for item `index` of the stream family `seed`:
  // splitmix64 scrambles the pair so that neighbouring indices give
  // unrelated streams.
  static SynthRandom for_item(uint64_t seed, uint64_t family, uint64_t index) {
    uint64_t z = seed * 0x9E3779B97F4A7C15ull + family * 0xD1B54A32D192ED03ull + index;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return SynthRandom(z ^ (z >> 31));
  }

  // Uniform in [0, 1): the top 53 bits of one mt19937_64 draw, whose raw
  // sequence the standard fixes.
  double uniform() { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
  // Uniform integer in [0, n); n >= 1. The modulo bias is below 2^-40 for
  // the small n used here.
  int64_t below(int64_t n) { return static_cast<int64_t>(engine_() % static_cast<uint64_t>(n)); }
  bool chance(double p) { return uniform() < p; }
  // Standard normal by the Box-Muller transform (one value per call; the
  // second of each pair is kept for the next call).
  double normal() {
    if (has_spare_) {
      has_spare_ = false;
      return spare_;
    }
    double u = uniform();
    while (u <= 0.0) u = uniform();
    const double radius = std::sqrt(-2.0 * std::log(u));
    const double angle = 2.0 * M_PI * uniform();
    spare_ = radius * std::sin(angle);
    has_spare_ = true;
    return radius * std::cos(angle);
  }
  double normal(double mean, double stddev) { return mean + stddev * normal(); }

 private:
  std::mt19937_64 engine_;
  bool has_spare_ = false;
  double spare_ = 0.0;
};

}  // namespace quantlab::synth
