# Included by the top-level CMakeLists.txt: builds the fuzz project (fuzz/CMakeLists.txt) with
# clang-22 in build/fuzz, apart from the rest of the build (which may use another compiler), and
# adds the ctest test `fuzz`, which runs every fuzz target's smoke run (a fixed number of inputs
# with a fixed seed; see fuzz/CMakeLists.txt). Long runs: scripts/fuzz.sh.
#
# TERN_ENABLE_FUZZ defaults to ON when clang++-22 can link a libFuzzer target with ASan and UBSan
# (Debian: clang-22 and libclang-rt-22-dev).
find_program(TERN_FUZZ_CXX NAMES clang++-22)
find_program(TERN_FUZZ_CC NAMES clang-22)

if(NOT DEFINED CACHE{TERN_FUZZ_LINKS})
  set(works OFF)
  if(TERN_FUZZ_CXX AND TERN_FUZZ_CC)
    set(probe ${CMAKE_BINARY_DIR}/CMakeFiles/tern-fuzz-probe)
    file(WRITE ${probe}.cpp
         "extern \"C\" int LLVMFuzzerTestOneInput(const unsigned char *, unsigned long) { return 0; }\n")
    execute_process(
      COMMAND ${TERN_FUZZ_CXX} -fsanitize=fuzzer,address,undefined ${probe}.cpp -o ${probe}
      RESULT_VARIABLE status OUTPUT_QUIET ERROR_QUIET)
    if(status EQUAL 0)
      set(works ON)
    endif()
  endif()
  set(TERN_FUZZ_LINKS ${works} CACHE INTERNAL "clang++-22 links libFuzzer targets")
  message(STATUS "libFuzzer with clang++-22: ${works}")
endif()

option(TERN_ENABLE_FUZZ "Build the libFuzzer targets (clang-22) and run their smoke runs in ctest"
       ${TERN_FUZZ_LINKS})
set(TERN_FUZZ_BUILD_JOBS 1 CACHE STRING
    "Parallel jobs of the nested fuzz build (it runs beside the main build's own jobs)")

if(TERN_ENABLE_FUZZ)
  if(NOT TERN_FUZZ_LINKS)
    message(FATAL_ERROR "TERN_ENABLE_FUZZ needs clang++-22 and libFuzzer "
                        "(apt-get install clang-22 libclang-rt-22-dev)")
  endif()
  include(ExternalProject)
  ExternalProject_Add(tern-fuzz
    SOURCE_DIR ${PROJECT_SOURCE_DIR}/fuzz
    BINARY_DIR ${CMAKE_BINARY_DIR}/fuzz
    CMAKE_GENERATOR ${CMAKE_GENERATOR}
    CMAKE_ARGS -DCMAKE_CXX_COMPILER=${TERN_FUZZ_CXX} -DCMAKE_C_COMPILER=${TERN_FUZZ_CC}
               -DTERN_FUZZ_MLIR=${TERN_ENABLE_COMPILER}
    BUILD_COMMAND ${CMAKE_COMMAND} --build <BINARY_DIR> -j ${TERN_FUZZ_BUILD_JOBS}
    # The nested build tracks its own sources; this only makes the outer build ask it every time.
    BUILD_ALWAYS ON
    INSTALL_COMMAND "")
  if(TERN_ENABLE_TESTS)
    add_test(NAME fuzz COMMAND ${CMAKE_CTEST_COMMAND} --test-dir ${CMAKE_BINARY_DIR}/fuzz
                                                      --output-on-failure)
  endif()
endif()
