#!/usr/bin/env bash
# Installs the release binaries and the bundled models under a prefix:
#   PREFIX/bin/autoglm, PREFIX/bin/autoglmd (when built),
#   PREFIX/share/autoglm/models/ (Models/*.gguf, default.gguf, the calibration and held-out texts, README.md)
# which is where the binaries look for the models (from their real path, so a symlink
# on PATH works too). Usage, from anywhere:
#   swift build -c release && tools/install.sh /usr/local [BUILD_DIR]
# BUILD_DIR defaults to the checkout's .build/release.
set -euo pipefail
if [ $# -lt 1 ] || [ $# -gt 2 ]; then
  echo "usage: $0 PREFIX [BUILD_DIR]" >&2
  exit 2
fi
root="$(cd "$(dirname "$0")/.." && pwd)"
prefix="$1"
build="${2:-$root/.build/release}"
if [ ! -x "$build/autoglm" ]; then
  echo "$0: no $build/autoglm: run 'swift build -c release' first" >&2
  exit 1
fi
models="$prefix/share/autoglm/models"
install -d "$prefix/bin" "$models"
install -m 0755 "$build/autoglm" "$prefix/bin/autoglm"
if [ -x "$build/autoglmd" ]; then
  install -m 0755 "$build/autoglmd" "$prefix/bin/autoglmd"
fi
for f in "$root"/Models/*; do
  name="$(basename "$f")"
  if [ -L "$f" ]; then
    # default.gguf names one of the models beside it: keep it a relative link.
    ln -sfn "$(readlink "$f")" "$models/$name"
  else
    install -m 0644 "$f" "$models/$name"
  fi
done
echo "installed into $prefix: $(ls "$prefix/bin" | tr '\n' ' ')and $(ls "$models" | wc -l) files in $models"
