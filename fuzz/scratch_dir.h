// A per-process scratch directory for fuzz targets whose parser reads a file
// (mmap, directory lookups): in /dev/shm when there is one, so each input is
// written to memory, else in $TMPDIR or /tmp. Removed at normal exit.
#ifndef TERN_FUZZ_SCRATCH_DIR_H
#define TERN_FUZZ_SCRATCH_DIR_H

#include <cstdio>
#include <cstdlib>
#include <string>

namespace tern::fuzz {

const std::string &scratchDir();
// Writes `size` bytes to scratchDir()/name, replacing it; aborts on I/O errors.
std::string writeScratchFile(const std::string &name, const void *data, size_t size);

} // namespace tern::fuzz

#endif // TERN_FUZZ_SCRATCH_DIR_H
