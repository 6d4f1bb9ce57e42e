//===- EnergyTable.h - energy per operation, from the literature -*- C++ -*-===//
//
// The estimates of ternc --report (docs/report.md). Arithmetic: M. Horowitz,
// "1.1 Computing's energy problem (and what we can do about it)", ISSCC 2014,
// 45 nm at 0.9 V. Memory: 640 pJ per 32-bit DRAM access, as Han et al.,
// "Learning both Weights and Connections for Efficient Neural Networks",
// NeurIPS 2015 (Table 1), derive it from Horowitz's figures. What the table
// does not list is stated where it is assumed.
//
#ifndef TERN_COMPILER_REPORT_ENERGYTABLE_H
#define TERN_COMPILER_REPORT_ENERGYTABLE_H

#include "mlir/IR/Types.h"

namespace tern {

struct EnergyTable {
  static constexpr const char *kSource =
      "M. Horowitz, \"Computing's energy problem (and what we can do about it)\", ISSCC 2014, "
      "45 nm; DRAM as in S. Han et al., NeurIPS 2015, Table 1";
  // picojoules per operation
  static constexpr double kInt8Add = 0.03;
  static constexpr double kInt32Add = 0.1;
  static constexpr double kInt8Mult = 0.2;
  static constexpr double kInt32Mult = 3.1;
  static constexpr double kFloat16Add = 0.4;
  static constexpr double kFloat32Add = 0.9;
  static constexpr double kFloat16Mult = 1.1;
  static constexpr double kFloat32Mult = 3.7;
  static constexpr double kDram32BitAccess = 640.0;

  /// One addition (or subtraction) in `type`. Integers up to 8 bits take the
  /// 8-bit figure, up to 32 bits the 32-bit one; 64-bit integers and floats
  /// are not in the table and count as two 32-bit operations.
  static double add(mlir::Type type);
  /// One multiplication (or division) in `type`, with the same rules.
  static double mult(mlir::Type type);
  /// Reading `bytes` from DRAM, at the 32-bit access energy per 4 bytes.
  static double dramRead(double bytes) { return bytes / 4.0 * kDram32BitAccess; }
};

} // namespace tern

#endif // TERN_COMPILER_REPORT_ENERGYTABLE_H
