#!/usr/bin/env bash
# Installs what building and testing dstack-c needs on Debian 12, skipping what is present.
# Usage: scripts/deps.sh [--test]   (--test adds the tools the test suite uses)
set -euo pipefail

pkgs=(build-essential cmake pkg-config libssl-dev libsecp256k1-dev libmicrohttpd-dev
      libcurl4-openssl-dev libcjson-dev libsystemd-dev)
if [[ "${1:-}" == "--test" ]]; then
    pkgs+=(curl jq openssl groff-base valgrind clang clang-format libclang-rt-14-dev)
    # Guest API and public routes: real Docker with a busybox image made locally, the
    # Prometheus parser for /metrics, the wg tool for NetworkInfo.
    pkgs+=(docker.io busybox-static python3-prometheus-client wireguard-tools iproute2)
    command -v node >/dev/null 2>&1 || pkgs+=(nodejs)
    command -v npm >/dev/null 2>&1 || pkgs+=(npm)
fi

missing=()
for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

echo "deps: installing ${missing[*]}" >&2
sudo=""
[[ $(id -u) -ne 0 ]] && sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
