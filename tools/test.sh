#!/usr/bin/env bash
# The project's whole test suite: the Swift tests, then the aarch64 cross-check that
# compiles AutoGLMCore as Embedded Swift and compares it, under qemu, bit for bit with
# the x86 emulation backend, then the daemon's acceptance tests against the release
# binary (curl, the openai package, malformed requests, concurrency, drain),
# systemd-analyze on its unit, and the checkpoint crash sweeps (CLI and daemon). Needs: Swift 6.3, qemu-user,
# gcc-aarch64-linux-gnu, libc6-dev-arm64-cross, curl, systemd (apt); openai, httpx (pip).
# When Debian's libarmnn-dev is installed (`.ci/run` installs it with
# libarmnn-cpuref-backend22), the optional Arm NN backend is built and its tests run too;
# AUTOGLM_ARMNN=0 skips it, AUTOGLM_ARMNN=1 insists on it.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${AUTOGLM_ARMNN:-}" ] && [ -f /usr/include/armnn/ArmNN.hpp ]; then
  export AUTOGLM_ARMNN=1
fi
echo "tools/test.sh: Arm NN backend ${AUTOGLM_ARMNN:-0} (AUTOGLM_ARMNN)"
swift test
Toolchains/aarch64-cross-check.sh
swift build -c release --product autoglmd
python3 tools/daemon_acceptance.py --binary .build/release/autoglmd
tools/verify_systemd_unit.sh .build/release/autoglmd
# Crash-point sweep and checkpoint corruption (issue 7): kill -9 at 64 moments of a seeded
# generation with the bundled model; release build, so it takes well under a minute.
swift build -c release --product autoglm
tools/crash_sweep.py --autoglm .build/release/autoglm
# What a newcomer hits first (issue 17): install + PATH symlink, --version, negative option
# values, inspect of unsupported types, hostile error strings, --context warning, default
# --threads, progress without a terminal, the daemon's version.
tools/cli_acceptance.py --autoglm .build/release/autoglm --autoglmd .build/release/autoglmd
# The same against the daemon: kill -9 autoglmd at 64 moments of a seeded streamed chat
# completion in a session, restart, resume by token index; then damaged checkpoints.
tools/daemon_crash_sweep.py --binary .build/release/autoglmd
