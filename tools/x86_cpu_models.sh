#!/usr/bin/env bash
# The kernel tests on CPUs this machine is not. qemu-user's x86-64 emulator reports the
# CPUID of the model it is given, so the test binary built here sees an AVX2-only Zen 2
# (EPYC-Rome) or a pre-AVX Nehalem, picks its kernel path by the same start-up detection a
# real machine of that kind runs, and must pass there. This is how an AVX-512 machine (and
# CI, whichever CPU it lands on) shows that an AVX2-only or SSE-only machine passes,
# without forcing the path through AUTOGLM_KERNELS. Needs qemu-user and a built test
# binary (`swift build --build-tests`, which tools/test.sh's swift test has done).
set -euo pipefail
cd "$(dirname "$0")/.."
binary=.build/debug/Open-AutoGLMPackageTests.xctest
[ -x "$binary" ] || { echo "tools/x86_cpu_models.sh: $binary missing; run swift build --build-tests first" >&2; exit 1; }
command -v qemu-x86_64 >/dev/null || { echo "tools/x86_cpu_models.sh: qemu-x86_64 missing (apt-get install qemu-user)" >&2; exit 1; }
# The suites whose results depend on the kernel path, and the fixture models end to end.
suites='KernelTests|FusedNormQuantizeTests|ModelFixtureTests|BatchedForwardTests'
log=$(mktemp)
trap 'rm -f "$log"' EXIT
# model, then the paths its detection must check (KernelPathsUnderTest prints them).
for case in "EPYC-Rome:avx2, scalar" "Nehalem:scalar"; do
  model=${case%%:*} expected=${case#*:}
  echo "tools/x86_cpu_models.sh: qemu-x86_64 -cpu $model (expects kernel paths: $expected)"
  status=0
  env -u AUTOGLM_KERNELS qemu-x86_64 -cpu "$model" "$binary" --testing-library swift-testing \
      --filter "$suites" >"$log" 2>&1 || status=$?
  grep -v "TCG doesn't support" "$log" | grep -E "^kernel tests:|Test run with" || true
  if [ "$status" -ne 0 ]; then
    grep -v "TCG doesn't support" "$log" | grep -E "✘|failed|error" | head -n 40 >&2
    echo "tools/x86_cpu_models.sh: FAIL under -cpu $model (exit $status)" >&2
    exit 1
  fi
  grep -qx "kernel tests: checking paths $expected" "$log" \
    || { echo "tools/x86_cpu_models.sh: FAIL: -cpu $model did not check exactly '$expected'" >&2; exit 1; }
done
echo "tools/x86_cpu_models.sh: PASS"
