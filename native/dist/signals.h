// Temporary files removed when a signal ends the process: lib/io/atomic.ts writes every file to a temporary beside
// its target and renames it over the target; a SIGTERM (what mpirun sends every rank when it is interrupted), SIGINT
// or SIGHUP arriving mid-write used to end the process with the temporary left behind. A write registers its
// temporary here (guard) and drops it after the rename (unguard); the handler installed here removes the registered
// temporaries, then hands the signal on to whatever handler was there before (Node's own, which ends the process).
// Only for signals that end the process: a signal JS listens for (process.on('SIGINT')) does not, and the write goes
// on, so the caller says which of the three will end it.
//
// Async-signal-safe: the handler only reads the slots and calls unlink(2), sigaction(2) and raise(3).
#pragma once
#include <cstddef>

namespace simdnet {
namespace dist {

// Bits of `ending` in guard_file: which signals end this process now (no JS listener for them).
constexpr unsigned kEndsOnSigint = 1u, kEndsOnSigterm = 2u, kEndsOnSighup = 4u;

// Registers `path` (absolute, shorter than 4096 bytes) for removal if one of the `ending` signals arrives;
// installs the handler over the current one where it is not installed yet. Returns a slot for unguard_file, or
// -1 when every slot is taken or the path is too long (the write then goes on unguarded).
int guard_file(const char* path, std::size_t len, unsigned ending);
void unguard_file(int slot);
// Temporaries registered now (for tests).
int guarded_files();

}  // namespace dist
}  // namespace simdnet
