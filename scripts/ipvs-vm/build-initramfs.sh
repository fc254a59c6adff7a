#!/usr/bin/env bash
# Builds the IPVS test VM's initramfs at OUT and prints the path of the kernel it belongs to.
# It holds busybox, iproute2's ip, ipvsadm, ipset, iptables (legacy and nft, with restore and
# save), conntrack, socat, the guest agent (agent.c) and the lab's servers and clients
# (lab.c), both linked statically, each with the
# libraries ldd lists, Debian's cloud kernel modules for networking, and /init (init beside
# this script). Cached: rebuilt only when the kernel version or these files change.
# Usage: build-initramfs.sh OUT   (needs what scripts/install-test-deps.sh installs)
set -euo pipefail

if [ $# -ne 1 ]; then
  echo "usage: $0 OUT" >&2
  exit 2
fi
out=$(realpath -m "$1")
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
export PATH="/usr/sbin:/usr/bin:/sbin:/bin:$PATH"

kernel=$(compgen -G '/boot/vmlinuz-*-cloud-amd64' | sort -V | tail -n 1 || true)
if [ -z "$kernel" ]; then
  echo "build-initramfs: no /boot/vmlinuz-*-cloud-amd64; run scripts/install-test-deps.sh as root" >&2
  exit 1
fi
kver=${kernel#/boot/vmlinuz-}
key="$kver $(cat "$here/build-initramfs.sh" "$here/init" "$here/agent.c" "$here/lab.c" | sha256sum | cut -d' ' -f1)"

mkdir -p "$(dirname "$out")"
exec 9>"$out.lock"
flock 9 # parallel test JVMs may ask at once: one builds, the others reuse
if [ -f "$out" ] && [ "$(cat "$out.key" 2>/dev/null)" = "$key" ]; then
  echo "$kernel"
  exit 0
fi

root=$(mktemp -d "${TMPDIR:-/tmp}/kpj-initramfs.XXXXXX")
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{usr/bin,usr/sbin,usr/lib,usr/lib64,etc,proc,sys,dev,run,tmp,var}
# Debian's merged /usr layout, so every path ldd prints exists in the guest as on the host.
ln -s usr/bin "$root/bin"
ln -s usr/sbin "$root/sbin"
ln -s usr/lib "$root/lib"
ln -s usr/lib64 "$root/lib64"
ln -s ../run "$root/var/run"

# Copies a file to the same (resolved) path in the guest, with the shared libraries it needs.
copy_with_libs() {
  local file dest lib
  file=$(realpath "$1")
  dest="$root$file"
  [ -e "$dest" ] && return 0
  mkdir -p "$(dirname "$dest")"
  cp -L "$file" "$dest"
  # Static binaries make ldd exit non-zero ("not a dynamic executable").
  for lib in $(ldd "$file" 2>/dev/null | awk '/=> \// { print $3 } /^\t\// { print $1 }'); do
    dest="$root$(realpath "$(dirname "$lib")")/$(basename "$lib")"
    if [ ! -e "$dest" ]; then
      mkdir -p "$(dirname "$dest")"
      cp -L "$lib" "$dest"
    fi
  done
}

# Copies the tool NAME and makes it callable as /usr/sbin/NAME (or /usr/bin/NAME) in the guest.
copy_tool() {
  local path real
  path=$(command -v "$1")
  real=$(realpath "$path")
  copy_with_libs "$real"
  path=$(realpath -s "$path" | sed -e 's#^/sbin/#/usr/sbin/#' -e 's#^/bin/#/usr/bin/#')
  [ "$path" = "$real" ] || ln -sf "$real" "$root$path"
}

for tool in ip ipvsadm ipset conntrack socat xtables-legacy-multi xtables-nft-multi; do
  copy_tool "$tool"
done
# iptables loads its match and target extensions at run time, several through symlinks.
xtables=/usr/lib/x86_64-linux-gnu/xtables
mkdir -p "$root$xtables"
cp -a "$xtables/." "$root$xtables/"
for lib in "$xtables"/*.so; do
  [ -L "$lib" ] || copy_with_libs "$lib"
done
for family in iptables ip6tables; do
  for suffix in "" -restore -save; do
    ln -sf xtables-legacy-multi "$root/usr/sbin/$family-legacy$suffix"
    ln -sf xtables-nft-multi "$root/usr/sbin/$family-nft$suffix"
    ln -sf xtables-nft-multi "$root/usr/sbin/$family$suffix" # Debian's default variant
  done
done

cp /bin/busybox "$root/usr/bin/busybox"
for applet in $(/bin/busybox --list); do
  # Never shadow a real tool (iproute2's ip above all) with an applet.
  [ -e "$root/usr/bin/$applet" ] || [ -e "$root/usr/sbin/$applet" ] ||
    ln -s busybox "$root/usr/bin/$applet"
done
ln -sf ../bin/busybox "$root/usr/sbin/modprobe" # the kernel's module loader path

gcc -static -Os -Wall -Werror -o "$root/usr/sbin/kpj-agent" "$here/agent.c"
gcc -static -Os -Wall -Werror -o "$root/usr/sbin/kpj-lab" "$here/lab.c"
install -m 0755 "$here/init" "$root/init"

for file in /etc/protocols /etc/services /etc/ethertypes; do
  [ -e "$file" ] && cp "$file" "$root/etc/"
done
echo "root:x:0:0:root:/root:/bin/sh" > "$root/etc/passwd"
# busybox sh runs its own applets before PATH: make the interactive shell's ip iproute2's.
printf 'export PATH=/usr/sbin:/usr/bin:/sbin:/bin\nalias ip=/usr/sbin/ip\n' > "$root/etc/profile"
echo "root:x:0:" > "$root/etc/group"

modules=/lib/modules/$kver
mkdir -p "$root$modules/kernel/drivers/char"
cp "$modules"/modules.* "$root$modules/"
for dir in net drivers/net drivers/virtio lib; do
  mkdir -p "$(dirname "$root$modules/kernel/$dir")"
  cp -a "$modules/kernel/$dir" "$root$modules/kernel/$dir"
done
cp "$modules/kernel/drivers/char/virtio_console.ko" "$root$modules/kernel/drivers/char/"

(cd "$root" && find . -print0 | cpio --null -o -H newc --quiet | gzip -1) > "$out.tmp"
mv "$out.tmp" "$out"
echo "$key" > "$out.key"
echo "build-initramfs: built $out ($(du -h "$out" | cut -f1)) for $kver" >&2
echo "$kernel"
