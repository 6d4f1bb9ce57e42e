# Cross-compiling tern's runtime for AArch64 Linux with Debian's g++-aarch64-linux-gnu; the results
# run here under qemu-aarch64 (test/e2e/aarch64-*.test; TERN_AARCH64_QEMU below). Libraries come
# from Debian's arm64 multiarch packages (zlib1g-dev:arm64, libgtest-dev:arm64; scripts/setup.sh).
#   cmake -S . -B build-aarch64 -DCMAKE_TOOLCHAIN_FILE=cmake/aarch64-linux-gnu.cmake \
#         -DTERN_ENABLE_COMPILER=OFF -DTERN_ENABLE_CPU=OFF
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)
set(CMAKE_LIBRARY_ARCHITECTURE aarch64-linux-gnu)
# Headers and libraries of the target only; programs (python3, ninja) of the host.
set(CMAKE_FIND_ROOT_PATH /usr/aarch64-linux-gnu /usr/lib/aarch64-linux-gnu)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE BOTH)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE BOTH)
# Tests run through qemu (add_test and gtest discovery use this). LD_LIBRARY_PATH keeps the guest on
# the cross toolchain's libc: the arm64 multiarch packages bring their own libc6:arm64 into
# /lib/aarch64-linux-gnu, and its libc with the toolchain's ld.so (a different Debian revision)
# hangs in pthread_create.
set(TERN_AARCH64_QEMU qemu-aarch64 -L /usr/aarch64-linux-gnu -E LD_LIBRARY_PATH=/usr/aarch64-linux-gnu/lib)
set(CMAKE_CROSSCOMPILING_EMULATOR ${TERN_AARCH64_QEMU})
