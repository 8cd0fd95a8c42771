#pragma once
// A CPU emulation of a warp's ldmatrix and mma.sync, as the PTX ISA defines
// their fragment layouts, for the tests that prove the tensor-core kernels'
// address arithmetic (attention_mma_layout_test.cpp, gemm_mma_layout_test.cpp).
// Values are doubles holding small integers, so every product is exact.
//
// Shared memory is a vector of elements; a register holds one 32-bit element
// or two 16-bit ones (lo first), so an ldmatrix row of 16 bytes is 4 or 8
// elements.
#include <array>
#include <cstddef>
#include <stdexcept>
#include <string>
#include <vector>

namespace flopscope::test::mma_emu {

using Regs = std::vector<std::array<std::array<double, 2>, 4>>;  // [lane][reg][16-bit half]
using Acc = std::vector<std::array<double, 4>>;                   // [lane][c0..c3]

/// ldmatrix.x4 (four 8x8 b16 matrices): lanes 8i..8i+7 give the element
/// offsets of the 8 rows of matrix i. Without .trans, lane l receives 32-bit
/// word l%4 of row l/4 of each matrix: elements 2(l%4), 2(l%4)+1 when
/// `elem_bytes` is 2, element l%4 (in half 0) when it is 4. With .trans (16-bit
/// only), elements (2(l%4), l/4) and (2(l%4)+1, l/4).
/// Throws (a test failure) where the hardware would fault or read elsewhere:
/// 32 row addresses, each 16-byte aligned with its whole row in `smem`.
inline Regs ldmatrix_x4(const std::vector<double>& smem, const std::vector<int>& row_addr, bool trans,
                        int elem_bytes = 2) {
  if (row_addr.size() != 32) throw std::invalid_argument("ldmatrix.x4 takes 32 row addresses");
  if (trans && elem_bytes != 2) throw std::invalid_argument("ldmatrix .trans is for 16-bit elements");
  const int row_elems = 16 / elem_bytes;
  for (int addr : row_addr) {
    if (addr < 0 || size_t(addr) + size_t(row_elems) > smem.size())
      throw std::out_of_range("ldmatrix row at element " + std::to_string(addr) + " leaves shared memory");
    if (addr * elem_bytes % 16 != 0)
      throw std::invalid_argument("ldmatrix row at element " + std::to_string(addr) + " is not 16-byte aligned");
  }
  Regs out(32);
  for (int lane = 0; lane < 32; ++lane)
    for (int i = 0; i < 4; ++i) {
      if (elem_bytes == 4) {  // .trans does not exist for 32-bit elements
        out[size_t(lane)][size_t(i)] = {smem[size_t(row_addr[size_t(8 * i + lane / 4)] + lane % 4)], 0.0};
        continue;
      }
      for (int e = 0; e < 2; ++e)
        out[size_t(lane)][size_t(i)][size_t(e)] =
            trans ? smem[size_t(row_addr[size_t(8 * i + 2 * (lane % 4) + e)] + lane / 4)]
                  : smem[size_t(row_addr[size_t(8 * i + lane / 4)] + 2 * (lane % 4) + e)];
    }
  return out;
}

/// d += a * b on the C layout shared by m16n8k16 and m16n8k8: c0, c1 at
/// (g, 2t..2t+1), c2, c3 at (g+8, 2t..2t+1).
template <int K>
void accumulate(Acc& d, const double (&A)[16][16], const double (&B)[16][8]) {
  for (int lane = 0; lane < 32; ++lane) {
    const int g = lane / 4, t = lane % 4;
    for (int e = 0; e < 4; ++e) {
      const int row = g + (e >= 2 ? 8 : 0), col = 2 * t + (e & 1);
      for (int k = 0; k < K; ++k) d[size_t(lane)][size_t(e)] += A[row][k] * B[k][col];
    }
  }
}

/// mma.sync m16n8k16 (16-bit inputs): d += a * b with A a0 (g, 2t..) a1 (g+8, 2t..)
/// a2 (g, 2t+8..) a3 (g+8, 2t+8..), B b0 (k 2t.., n g) b1 (k 2t+8.., n g);
/// b0 = b[lane][rb], b1 = b[lane][rb + 1].
inline void mma_m16n8k16(Acc& d, const Regs& a, const Regs& b, int rb) {
  double A[16][16] = {}, B[16][8] = {};
  for (int lane = 0; lane < 32; ++lane) {
    const int g = lane / 4, t = lane % 4;
    const auto& f = a[size_t(lane)];
    for (int e = 0; e < 2; ++e) {
      A[g][2 * t + e] = f[0][size_t(e)];
      A[g + 8][2 * t + e] = f[1][size_t(e)];
      A[g][2 * t + 8 + e] = f[2][size_t(e)];
      A[g + 8][2 * t + 8 + e] = f[3][size_t(e)];
      B[2 * t + e][g] = b[size_t(lane)][size_t(rb)][size_t(e)];
      B[2 * t + 8 + e][g] = b[size_t(lane)][size_t(rb + 1)][size_t(e)];
    }
  }
  accumulate<16>(d, A, B);
}

/// mma.sync m16n8k8 with TF32 inputs (one per register, half 0): A a0 (g, t)
/// a1 (g+8, t) a2 (g, t+4) a3 (g+8, t+4), B b0 (k t, n g) b1 (k t+4, n g);
/// b0 = b[lane][rb], b1 = b[lane][rb + 1].
inline void mma_m16n8k8_tf32(Acc& d, const Regs& a, const Regs& b, int rb) {
  double A[16][16] = {}, B[16][8] = {};
  for (int lane = 0; lane < 32; ++lane) {
    const int g = lane / 4, t = lane % 4;
    const auto& f = a[size_t(lane)];
    A[g][t] = f[0][0];
    A[g + 8][t] = f[1][0];
    A[g][t + 4] = f[2][0];
    A[g + 8][t + 4] = f[3][0];
    B[t][g] = b[size_t(lane)][size_t(rb)][0];
    B[t + 4][g] = b[size_t(lane)][size_t(rb + 1)][0];
  }
  accumulate<8>(d, A, B);
}

}  // namespace flopscope::test::mma_emu
