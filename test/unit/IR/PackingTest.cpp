//===- PackingTest.cpp - trit byte layouts --------------------------------===//
#include "dialects/Tern/IR/Packing.h"

#include <gtest/gtest.h>

#include <random>
#include <vector>

using namespace mlir::tern;

namespace {

const Packing kAll[] = {Packing::none, Packing::two_bit, Packing::base3};

TEST(PackingTest, RowBytes) {
  EXPECT_EQ(packedRowBytes(1024, Packing::none), 1024);
  EXPECT_EQ(packedRowBytes(1024, Packing::two_bit), 256);
  EXPECT_EQ(packedRowBytes(1023, Packing::two_bit), 256);
  EXPECT_EQ(packedRowBytes(1024, Packing::base3), 205);
  EXPECT_EQ(packedRowBytes(5, Packing::base3), 1);
  EXPECT_EQ(packedRowBytes(6, Packing::base3), 2);
}

TEST(PackingTest, TwoBitLayoutIsCodePlusOneLowBitsFirst) {
  const int8_t row[] = {1, -1, 0, 0, 1}; // codes 2,0,1,1 | 2 + padding 1,1,1
  uint8_t packed[2];
  packTritRow(row, 5, Packing::two_bit, packed);
  EXPECT_EQ(packed[0], 2 + 0 * 4 + 1 * 16 + 1 * 64);
  EXPECT_EQ(packed[1], 2 + 1 * 4 + 1 * 16 + 1 * 64);
}

TEST(PackingTest, Base3LayoutIsLittleEndianDigits) {
  const int8_t row[] = {1, -1, 0, 0, 1}; // digits 2,0,1,1,2
  uint8_t packed[1];
  packTritRow(row, 5, Packing::base3, packed);
  EXPECT_EQ(packed[0], 2 + 0 * 3 + 1 * 9 + 1 * 27 + 2 * 81);
}

TEST(PackingTest, RoundTripEveryPackingAndWidth) {
  std::mt19937 rng(42);
  std::uniform_int_distribution<int> trit(-1, 1);
  for (Packing packing : kAll) {
    for (int64_t cols : {1, 2, 3, 4, 5, 6, 7, 63, 64, 65, 200, 1031}) {
      std::vector<int8_t> row(cols), back(cols);
      for (auto &t : row)
        t = int8_t(trit(rng));
      std::vector<uint8_t> packed(packedRowBytes(cols, packing));
      packTritRow(row.data(), cols, packing, packed.data());
      unpackTritRow(packed.data(), cols, packing, back.data());
      EXPECT_EQ(row, back) << "packing " << int(packing) << " cols " << cols;
    }
  }
}

} // namespace
