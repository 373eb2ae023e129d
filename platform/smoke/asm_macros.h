// Included from .S files: proves assembly is preprocessed.
#pragma once

#define HMK_SMOKE_NOEXEC_STACK .section .note.GNU-stack, "", @progbits
