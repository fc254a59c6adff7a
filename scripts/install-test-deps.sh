#!/usr/bin/env bash
# Installs the tools the test suite drives (nft, iptables, conntrack, ip, socat, ipset, curl),
# and what the IPVS kernel tests need to boot their VM (QEMU, Debian's cloud kernel with IP_VS
# as modules, static busybox, ipvsadm, gcc and cpio for scripts/ipvs-vm/build-initramfs.sh).
# Run by `./mvnw verify` itself (parent pom, initialize phase), so the README's one test
# command is enough on a fresh Debian/Ubuntu machine. Does nothing when everything is present.
set -euo pipefail

# tool -> the package that brings it.
declare -A package_of=(
  [nft]=nftables [iptables-restore]=iptables [conntrack]=conntrack [ip]=iproute2
  [socat]=socat [ipset]=ipset [curl]=curl
  [qemu-system-x86_64]=qemu-system-x86 [busybox]=busybox-static [ipvsadm]=ipvsadm
  [gcc]=gcc [cpio]=cpio [gzip]=gzip
)

missing=()
packages=()
for tool in nft iptables-restore conntrack ip socat ipset curl \
  qemu-system-x86_64 busybox ipvsadm gcc cpio gzip; do
  if ! command -v "$tool" >/dev/null 2>&1 && ! PATH="$PATH:/usr/sbin:/sbin" command -v "$tool" >/dev/null 2>&1; then
    missing+=("$tool")
    packages+=("${package_of[$tool]}")
  fi
done
# The guest agent is linked statically: that needs libc.a, not just a compiler.
if [ ! -e /usr/lib/x86_64-linux-gnu/libc.a ]; then
  missing+=(libc.a)
  packages+=(libc6-dev)
fi
# The VM boots Debian's cloud kernel (IP_VS as modules); this machine's own kernel is untouched:
# the package only adds files under /boot and /lib/modules (no bootloader runs in a container).
if ! compgen -G '/boot/vmlinuz-*-cloud-amd64' >/dev/null; then
  missing+=(cloud-kernel)
  packages+=(linux-image-cloud-amd64)
fi
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "install-test-deps: missing ${missing[*]}; not root or no apt-get, so kernel tests will be skipped (they fail when CI=true)." >&2
  exit 0
fi

echo "install-test-deps: installing ${packages[*]} for ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
# Parallel builds may run this at once: wait for the other's dpkg lock instead of failing.
apt_options=(-o DPkg::Lock::Timeout=600)
apt-get "${apt_options[@]}" update -qq
apt-get "${apt_options[@]}" install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
