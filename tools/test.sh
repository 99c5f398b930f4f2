#!/usr/bin/env bash
# The project's whole test suite: the Swift tests, then the aarch64 cross-check that
# compiles AutoGLMCore as Embedded Swift and compares it, under qemu, bit for bit with
# the x86 emulation backend. Needs: Swift 6.3, qemu-user, gcc-aarch64-linux-gnu,
# libc6-dev-arm64-cross (apt).
set -euo pipefail
cd "$(dirname "$0")/.."
swift test
Toolchains/aarch64-cross-check.sh
