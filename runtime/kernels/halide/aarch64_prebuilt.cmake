# In the AArch64 cross build (cmake/TernAArch64Runtime.cmake): the dotprod kernels that Halide
# generated on the build machine (CMakeLists.txt here, targets ternary_*_arm_dotprod_halide) are
# linked into tern_kernels as ISA arm_dotprod_halide (runtime/src/kernel_dispatch.cpp). Included
# by runtime/kernels/CMakeLists.txt when TERN_HALIDE_AARCH64_DIR names their directory.
foreach(generator ternary_gemv ternary_gemm)
  set(library ${TERN_HALIDE_AARCH64_DIR}/${generator}_arm_dotprod_halide.a)
  if(NOT EXISTS ${library})
    message(FATAL_ERROR "TERN_HALIDE_AARCH64_DIR: ${library} is missing (the build machine's "
                        "target tern-halide-aarch64-kernels makes it)")
  endif()
  target_link_libraries(tern_kernels PRIVATE ${library})
endforeach()
target_sources(tern_kernels PRIVATE ${CMAKE_CURRENT_LIST_DIR}/ternary_arm_64_dotprod_halide.cpp
               ${CMAKE_CURRENT_LIST_DIR}/halide_tiled_calls.cpp)
# The generated headers, and HalideRuntime.h (plain C declarations, no host libraries).
target_include_directories(tern_kernels PRIVATE ${TERN_HALIDE_AARCH64_DIR}
                           ${TERN_HALIDE_RUNTIME_INCLUDE_DIR})
target_compile_definitions(tern_kernels PUBLIC TERN_KERNELS_HALIDE=1)
