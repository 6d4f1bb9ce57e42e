# The MLIR-text target: the tern dialect's sources, with their TableGen output
# generated here, instrumented; MLIR itself is Debian's libMLIR.so.
find_package(MLIR REQUIRED CONFIG PATHS /usr/lib/llvm-22/lib/cmake/mlir NO_DEFAULT_PATH)
find_program(TERN_MLIR_TBLGEN mlir-tblgen PATHS ${LLVM_TOOLS_BINARY_DIR} NO_DEFAULT_PATH REQUIRED)

set(tern_ir ${TERN_SOURCE_DIR}/dialects/Tern/IR)
set(tern_gen ${CMAKE_CURRENT_BINARY_DIR}/gen)
set(tern_gen_ir ${tern_gen}/dialects/Tern/IR)
file(MAKE_DIRECTORY ${tern_gen_ir})
file(GLOB tern_td CONFIGURE_DEPENDS ${tern_ir}/*.td)

# The same generators as dialects/Tern/IR/CMakeLists.txt.
set(tern_inc "")
foreach(spec
    "TernOps.h.inc;-gen-op-decls" "TernOps.cpp.inc;-gen-op-defs"
    "TernDialect.h.inc;-gen-dialect-decls;-dialect=tern"
    "TernDialect.cpp.inc;-gen-dialect-defs;-dialect=tern"
    "TernTypes.h.inc;-gen-typedef-decls;-typedefs-dialect=tern"
    "TernTypes.cpp.inc;-gen-typedef-defs;-typedefs-dialect=tern"
    "TernEnums.h.inc;-gen-enum-decls" "TernEnums.cpp.inc;-gen-enum-defs"
    "TernAttrs.h.inc;-gen-attrdef-decls;-attrdefs-dialect=tern"
    "TernAttrs.cpp.inc;-gen-attrdef-defs;-attrdefs-dialect=tern")
  list(POP_FRONT spec out)
  add_custom_command(OUTPUT ${tern_gen_ir}/${out}
    COMMAND ${TERN_MLIR_TBLGEN} ${spec} -I ${tern_ir} -I ${TERN_SOURCE_DIR}
            -I ${MLIR_INCLUDE_DIRS} ${tern_ir}/TernOps.td -o ${tern_gen_ir}/${out}
    DEPENDS ${tern_td} ${TERN_MLIR_TBLGEN}
    COMMENT "mlir-tblgen ${out}")
  list(APPEND tern_inc ${tern_gen_ir}/${out})
endforeach()

add_library(tern_fuzz_dialect STATIC
  ${tern_ir}/TernDialect.cpp ${tern_ir}/TernOps.cpp ${tern_ir}/TernTypes.cpp
  ${tern_ir}/Packing.cpp ${tern_ir}/WeightData.cpp ${tern_inc})
target_include_directories(tern_fuzz_dialect PUBLIC ${TERN_SOURCE_DIR} ${tern_gen})
target_include_directories(tern_fuzz_dialect SYSTEM PUBLIC ${MLIR_INCLUDE_DIRS} ${LLVM_INCLUDE_DIRS})
target_link_directories(tern_fuzz_dialect PUBLIC ${LLVM_LIBRARY_DIRS})
target_link_libraries(tern_fuzz_dialect PUBLIC MLIR LLVM)

tern_add_fuzzer(mlir mlir_fuzzer.cpp LIBS tern_fuzz_dialect DICT mlir.dict)
