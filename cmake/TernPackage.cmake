# The CMake package that `cmake --install` writes and `find_package(Tern)` reads: the headers a
# pass needs (dialects/, with the generated .inc files), the shared libraries TernIR and
# TernTransforms as imported targets Tern::TernIR and Tern::TernTransforms, and the tools
# (tern-opt, ternc, tern-run) that load pass plugins. docs/writing-a-pass.md uses it.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(TERN_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/Tern)
# Headers keep their paths relative to the source root ("dialects/Tern/IR/TernOps.h") under
# include/tern/, beside the runtime's tern/runtime.h.
set(TERN_INSTALL_INCLUDEDIR ${CMAKE_INSTALL_INCLUDEDIR}/tern)

foreach(library TernIR TernTransforms)
  target_include_directories(${library} PUBLIC
    $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}> $<BUILD_INTERFACE:${PROJECT_BINARY_DIR}>
    $<INSTALL_INTERFACE:${TERN_INSTALL_INCLUDEDIR}>)
  target_compile_features(${library} PUBLIC cxx_std_17)
endforeach()

# Installed binaries find the installed libraries beside them and MLIR/LLVM where they were linked.
set_target_properties(TernIR TernTransforms tern-opt ternc PROPERTIES
  INSTALL_RPATH "$ORIGIN/../${CMAKE_INSTALL_LIBDIR}"
  INSTALL_RPATH_USE_LINK_PATH ON)

install(TARGETS TernIR TernTransforms EXPORT TernTargets
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(TARGETS tern-opt ternc RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/dialects/ DESTINATION ${TERN_INSTALL_INCLUDEDIR}/dialects
  FILES_MATCHING PATTERN "*.h" PATTERN "*.td")
install(DIRECTORY ${PROJECT_BINARY_DIR}/dialects/ DESTINATION ${TERN_INSTALL_INCLUDEDIR}/dialects
  FILES_MATCHING PATTERN "*.inc" PATTERN "CMakeFiles" EXCLUDE)

install(EXPORT TernTargets NAMESPACE Tern:: DESTINATION ${TERN_INSTALL_CMAKEDIR})
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/TernConfig.cmake.in
  ${PROJECT_BINARY_DIR}/TernConfig.cmake
  INSTALL_DESTINATION ${TERN_INSTALL_CMAKEDIR}
  PATH_VARS TERN_INSTALL_INCLUDEDIR CMAKE_INSTALL_BINDIR)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/TernConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/TernConfig.cmake ${PROJECT_BINARY_DIR}/TernConfigVersion.cmake
  DESTINATION ${TERN_INSTALL_CMAKEDIR})
