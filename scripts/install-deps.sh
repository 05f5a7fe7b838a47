#!/usr/bin/env bash
# Installs the Debian packages Switchboard builds and tests with. Safe to run again: it only calls
# apt-get when something is missing. Needs root (CI and the dev machines run as root).
set -euo pipefail
need=()
for pkg in libzmq3-dev protobuf-compiler libsqlite3-dev pkg-config; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || need+=("$pkg")
done
if ((${#need[@]})); then
    echo "installing: ${need[*]}"
    if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi
