// The IPC fast paths: call and reply_recv with a register-only message to a partner that is
// already waiting, switching to it directly without the scheduler. The port calls them, so
// they are declared with the other kernel entries: hmk_fastpath_call and
// hmk_fastpath_reply_recv in core/kernel.h.
#pragma once

#include "core/kernel.h"
