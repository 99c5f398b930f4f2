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
# The Swift tests once per x86 kernel path this CPU runs (scalar, avx2, avx512vnni), so
# each path passes the whole suite, not only the kernel tests; an AUTOGLM_KERNELS set by
# the caller runs just that path (AUTOGLM_KERNELS=avx2 is an AVX2-only machine's run).
# The steps after the Swift tests run on the caller's path, or the detected one.
if [ -n "${AUTOGLM_KERNELS:-}" ]; then
  kernel_paths=("$AUTOGLM_KERNELS")
elif [ "$(uname -m)" = x86_64 ]; then
  cpu_flags=" $(grep -m1 '^flags' /proc/cpuinfo | cut -d: -f2) "
  has_flags() { for f in "$@"; do [[ $cpu_flags == *" $f "* ]] || return 1; done; }
  kernel_paths=(scalar)
  if has_flags avx2 fma f16c; then kernel_paths+=(avx2); fi
  if has_flags avx2 fma f16c avx512f avx512bw avx512vl avx512dq avx512_vnni; then kernel_paths+=(avx512vnni); fi
else
  kernel_paths=("")  # aarch64: the detected path
fi
for kernel_path in "${kernel_paths[@]}"; do
  echo "tools/test.sh: swift test, kernel path ${kernel_path:-detected} (AUTOGLM_KERNELS)"
  AUTOGLM_KERNELS=$kernel_path swift test
done
# The kernel tests again under qemu-x86_64 posing as an AVX2-only and a pre-AVX CPU: the
# start-up detection itself must pick avx2 and scalar there, and pass.
if [ "$(uname -m)" = x86_64 ]; then tools/x86_cpu_models.sh; fi
# The cross-check runs an aarch64 binary too, which would refuse an x86 AUTOGLM_KERNELS:
# it compares the detected paths (the forced one met the reference in swift test above).
env -u AUTOGLM_KERNELS Toolchains/aarch64-cross-check.sh
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
