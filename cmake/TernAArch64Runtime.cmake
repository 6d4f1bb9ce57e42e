# The runtime cross-built for AArch64 (cmake/aarch64-linux-gnu.cmake) in ${CMAKE_BINARY_DIR}/aarch64,
# so that ctest runs the kernels' unit tests and an end-to-end test under qemu-aarch64
# (test/e2e/aarch64-*.test). Part of `all` and of check-tern (target `tern-aarch64-runtime`).
option(TERN_ENABLE_AARCH64_RUNTIME
       "Cross-build the runtime for AArch64 and test it under qemu-aarch64" ON)
set(TERN_AARCH64_BINARY_DIR ${CMAKE_BINARY_DIR}/aarch64)
set(TERN_HAVE_AARCH64_RUNTIME OFF)
if(TERN_ENABLE_AARCH64_RUNTIME AND NOT CMAKE_CROSSCOMPILING AND
   CMAKE_SYSTEM_PROCESSOR MATCHES "^(x86_64|AMD64|amd64)$")
  find_program(TERN_AARCH64_CXX aarch64-linux-gnu-g++)
  find_program(TERN_QEMU_AARCH64 qemu-aarch64)
  find_file(TERN_AARCH64_ZLIB libz.so PATHS /usr/lib/aarch64-linux-gnu NO_DEFAULT_PATH)
  if(TERN_AARCH64_CXX AND TERN_QEMU_AARCH64 AND TERN_AARCH64_ZLIB)
    set(TERN_HAVE_AARCH64_RUNTIME ON)
  else()
    message(STATUS "AArch64 runtime: not built (needs g++-aarch64-linux-gnu, qemu-user and "
                   "zlib1g-dev:arm64; scripts/setup.sh)")
  endif()
endif()

if(TERN_HAVE_AARCH64_RUNTIME)
  include(ExternalProject)
  # The dotprod kernels Halide generates on this machine (runtime/kernels/halide), when it has
  # Halide 14: the cross build links them as ISA arm_dotprod_halide.
  get_property(TERN_HALIDE_AARCH64_ARGS GLOBAL PROPERTY TERN_HALIDE_AARCH64_ARGS)
  set(TERN_AARCH64_HALIDE OFF)
  set(TERN_AARCH64_DEPENDS)
  if(TERN_HALIDE_AARCH64_ARGS AND TARGET tern-halide-aarch64-kernels)
    set(TERN_AARCH64_HALIDE ON)
    set(TERN_AARCH64_DEPENDS DEPENDS tern-halide-aarch64-kernels)
  else()
    set(TERN_HALIDE_AARCH64_ARGS -DTERN_HALIDE_AARCH64_DIR=)  # hand-written kernels only
  endif()
  # One job inside: the outer build already runs -j2 on a 2-core machine.
  ExternalProject_Add(tern-aarch64-runtime
    SOURCE_DIR ${CMAKE_SOURCE_DIR}
    BINARY_DIR ${TERN_AARCH64_BINARY_DIR}
    CMAKE_ARGS -G ${CMAKE_GENERATOR}
               -DCMAKE_TOOLCHAIN_FILE=${CMAKE_SOURCE_DIR}/cmake/aarch64-linux-gnu.cmake
               -DCMAKE_BUILD_TYPE=Release
               -DTERN_ENABLE_COMPILER=OFF -DTERN_ENABLE_CPU=OFF -DTERN_ENABLE_HLS=OFF
               -DTERN_ENABLE_CUDA=OFF -DTERN_ENABLE_AARCH64_RUNTIME=OFF
               ${TERN_HALIDE_AARCH64_ARGS}
    BUILD_COMMAND ${CMAKE_COMMAND} --build <BINARY_DIR> --parallel 1
                  --target tern-run TernKernelTests
    INSTALL_COMMAND ""
    BUILD_ALWAYS ON
    ${TERN_AARCH64_DEPENDS})
endif()
