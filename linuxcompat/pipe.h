// Pipes: a 64 KiB ring buffer shared by a read end and a write end (each a File). Reading an
// empty pipe waits while a writer exists and gives end of file after the last one closed;
// writing waits for room while a reader exists and fails with EPIPE after the last one closed
// (the caller raises SIGPIPE). Writes of at most kPipeBuf bytes are atomic.
#pragma once

#include <stdint.h>

#include "linuxcompat/task.h"

namespace hmk::lx {

inline constexpr uint64_t kPipeCapacity = 65536;
inline constexpr uint64_t kPipeBuf = 4096;  // PIPE_BUF

// Makes a pipe; *read_end and *write_end each hold one reference. False when out of memory.
// O_NONBLOCK in an end's status flags makes it answer -EAGAIN instead of waiting.
bool make_pipe(File** read_end, File** write_end);

}  // namespace hmk::lx
