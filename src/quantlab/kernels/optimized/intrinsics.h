// The x86 vector intrinsics, for the files that define per-function
// AVX2 / AVX-512 variants.
#pragma once

// GCC 12's AVX-512 headers make "undefined" vectors from self-initialized
// variables, which -Wuninitialized then reports wherever such an intrinsic is
// inlined; the values are never read (a mask or the instruction overwrites
// every lane).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>
#pragma GCC diagnostic pop
