#!/usr/bin/env bash
# Installs what kvbench needs from Debian's packages (a no-op when all are
# present), then configures and builds it in build/ (or $KVB_BUILD_DIR).
# Extra arguments go to cmake's configure step, e.g. -DKVB_SANITIZE=address.
# Packages named in $KVB_EXTRA_PACKAGES (space-separated) are installed with
# kvbench's own: .ci/run adds what its checks need.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(build-essential cmake pkg-config librocksdb-dev liblmdb-dev libyaml-dev
          libcmocka-dev libjansson-dev gnuplot-nox)
read -ra extra <<<"${KVB_EXTRA_PACKAGES:-}"
packages+=("${extra[@]}")
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "bootstrap: installing ${missing[*]}" >&2
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi

build=${KVB_BUILD_DIR:-build}
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
cmake --build "$build" -j"$(nproc)" >&2
