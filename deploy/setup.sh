#!/usr/bin/env bash
# Installs what govharvest needs to build, test and benchmark on Debian 12.
# Idempotent: packages already present are not touched, and apt is only
# called when something is missing.
#
# libraptor2-dev pulls in libcurl4-gnutls-dev, which conflicts with
# libcurl4-openssl-dev, so the gnutls flavour of libcurl is used throughout.
#
# virtuoso-opensource-7 provides virtuoso-t, which the Graph Store sink's
# tests start on loopback in a temporary directory of their own (without
# it they are skipped).
set -euo pipefail

packages=(
  build-essential cmake pkg-config
  libuv1-dev libcurl4-gnutls-dev libxml2-dev
  libraptor2-dev raptor2-utils
  libsqlite3-dev sqlite3 libjansson-dev nettle-dev libmicrohttpd-dev
  libzstd-dev
  libcmocka-dev
  time
  chromium
  wrk
  virtuoso-opensource-7
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#packages[@]} packages present"
  exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  sudo="sudo"
fi
echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
