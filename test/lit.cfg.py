# -*- Python -*-
# The tern lit suite. Optional features (a GPU, qemu, ptxas, nvcc, numpy, the HLS
# vendor headers) are probed here and tests that need them say `REQUIRES:`.
import os
import shutil
import subprocess

import lit.formats
from lit.llvm import llvm_config
from lit.llvm.subst import ToolSubst

config.name = "TERN"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".test"]
config.excludes = ["Inputs", "CMakeLists.txt", "lit.cfg.py", "lit.site.cfg.py"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.tern_obj_root, "test")

config.substitutions.append(("%PATH%", config.environment["PATH"]))
config.substitutions.append(("%tern_src_root", config.tern_src_root))
config.substitutions.append(("%python", config.numpy_python or config.python3))
config.substitutions.append(("%tern_tools", config.tern_tools_dir))

llvm_config.use_default_substitutions()
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)
llvm_config.with_environment("PATH", config.tern_tools_dir, append_path=True)

tools = [
    ToolSubst("tern-opt", unresolved="fatal"),
    ToolSubst("ternc", unresolved="ignore"),
    ToolSubst("tern-run", unresolved="ignore"),
]
llvm_config.add_tool_substitutions(tools, [config.tern_tools_dir])

# --- optional features --------------------------------------------------------
def have_numpy(python):
    if not python:
        return False
    return subprocess.call([python, "-c", "import numpy"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) == 0

if have_numpy(config.numpy_python):
    config.available_features.add("numpy")

if os.path.exists(os.path.join(config.tern_tools_dir, "ternc")):
    config.available_features.add("ternc")

if shutil.which("qemu-aarch64"):
    config.available_features.add("qemu-aarch64")

# The runtime cross-built for AArch64, run under qemu with the cross toolchain's libc
# (cmake/aarch64-linux-gnu.cmake says why LD_LIBRARY_PATH is set).
aarch64_tern_run = os.path.join(getattr(config, "tern_aarch64_tools_dir", ""), "tern-run")
if getattr(config, "qemu_aarch64", "") and os.path.exists(aarch64_tern_run):
    config.available_features.add("aarch64-runtime")
    config.substitutions.append(("%aarch64_tern_run", aarch64_tern_run))
    config.substitutions.append(
        ("%qemu_aarch64", config.qemu_aarch64 +
         " -L /usr/aarch64-linux-gnu -E LD_LIBRARY_PATH=/usr/aarch64-linux-gnu/lib"))
    if getattr(config, "tern_aarch64_halide", "") == "ON":
        config.available_features.add("aarch64-halide")

# The CPU's vector ISAs, for tests that run a given kernel ISA or --target (runtime/kernels).
def cpu_flags():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("flags"):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()

flags = cpu_flags()
if "avx2" in flags:
    config.available_features.add("cpu-avx2")
if {"avx512f", "avx512bw", "avx512vl", "avx512_vnni"} <= flags:
    config.available_features.add("cpu-avx512-vnni")
if {"avx512f", "avx512bw", "avx512vl", "avx512_vnni", "avx512vbmi"} <= flags:
    config.available_features.add("cpu-avx512-vbmi")

# CUDA toolkit programs, from /usr/local/cuda/bin or PATH: ptxas (the PTX of each kernel kind
# assembles), nvcc (bench/gpu's CUDA sources compile; they run by hand on a GPU machine). Each is a
# feature and a substitution of its name.
for tool in ("ptxas", "nvcc"):
    path = "/usr/local/cuda/bin/" + tool
    if not os.path.exists(path):
        path = shutil.which(tool)
    if path:
        config.available_features.add(tool)
        config.substitutions.append(("%" + tool, path))

# A C compiler, for test/cuda's stand-in CUDA driver (fake_libcuda.c).
cc = shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")
if cc:
    config.available_features.add("cc")
    config.substitutions.append(("%cc", cc))

def have_cuda_device():
    # A device is usable only if the driver library loads and reports one.
    try:
        import ctypes
        cuda = ctypes.CDLL("libcuda.so.1")
        if cuda.cuInit(0) != 0:
            return False
        count = ctypes.c_int(0)
        return cuda.cuDeviceGetCount(ctypes.byref(count)) == 0 and count.value > 0
    except OSError:
        return False

if have_cuda_device():
    config.available_features.add("cuda-device")
