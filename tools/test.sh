#!/usr/bin/env bash
# The project's whole test suite: the Swift tests, then the aarch64 cross-check that
# compiles AutoGLMCore as Embedded Swift and compares it, under qemu, bit for bit with
# the x86 emulation backend, then the daemon's acceptance tests against the release
# binary (curl, the openai package, malformed requests, concurrency, drain) and
# systemd-analyze on its unit. Needs: Swift 6.3, qemu-user, gcc-aarch64-linux-gnu,
# libc6-dev-arm64-cross, curl, systemd (apt); openai, httpx (pip).
set -euo pipefail
cd "$(dirname "$0")/.."
swift test
Toolchains/aarch64-cross-check.sh
swift build -c release --product autoglmd
python3 tools/daemon_acceptance.py --binary .build/release/autoglmd
tools/verify_systemd_unit.sh .build/release/autoglmd
