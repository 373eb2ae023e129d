#!/bin/sh
# Stand-in for Bazel's downloaded coverage tools (not available offline).
echo "remote_coverage_tools: 'bazel coverage' is not supported in the offline HMK build" >&2
exit 1
