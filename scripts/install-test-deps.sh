#!/usr/bin/env bash
# Installs the kernel tools the test suite drives (nft, iptables, conntrack, ip, socat, ipset,
# and curl for HTTP checks inside lab namespaces).
# Run by `./mvnw verify` itself (parent pom, initialize phase), so the README's one test
# command is enough on a fresh Debian/Ubuntu machine. Does nothing when everything is present.
set -euo pipefail

missing=()
for tool in nft iptables-restore conntrack ip socat ipset curl; do
  command -v "$tool" >/dev/null 2>&1 || PATH="$PATH:/usr/sbin:/sbin" command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "install-test-deps: missing ${missing[*]}; not root or no apt-get, so kernel tests will be skipped (they fail when CI=true)." >&2
  exit 0
fi

echo "install-test-deps: installing packages for ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends nftables iptables conntrack iproute2 socat ipset curl >/dev/null
