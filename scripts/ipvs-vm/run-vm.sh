#!/usr/bin/env bash
# Boots the IPVS test VM by hand with a root shell on this terminal (Ctrl-A X quits QEMU).
# The guest agent also serves WORKDIR/agent.sock, as in the tests. The VM has no network
# device (-nic none) and is killed after MINUTES (default 30) at the latest.
# Usage: run-vm.sh [WORKDIR [MINUTES]]   (as root, after scripts/install-test-deps.sh)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
workdir=$(realpath -m "${1:-${TMPDIR:-/tmp}/kpj-ipvsvm-by-hand}")
minutes=${2:-30}
mkdir -p "$workdir"
initramfs="$here/../../proxy-ipvs/target/ipvs-vm/initramfs.cpio.gz"
kernel=$("$here/build-initramfs.sh" "$initramfs" | tail -n 1)
rm -f "$workdir/agent.sock"

echo "run-vm: booting $kernel (about 10 s); agent socket $workdir/agent.sock; Ctrl-A X quits" >&2
exec timeout --foreground "${minutes}m" qemu-system-x86_64 \
  -name kpj-ipvs-vm -m 1024 -smp 2 -cpu max -accel tcg,thread=multi \
  -nodefaults -no-user-config -nic none -display none -no-reboot \
  -serial mon:stdio \
  -kernel "$kernel" -initrd "$initramfs" \
  -append "console=ttyS0 panic=-1 quiet kpj.shell" \
  -device virtio-serial-pci \
  -chardev "socket,id=agent,path=$workdir/agent.sock,server=on,wait=off" \
  -device virtserialport,chardev=agent,name=kpj.agent
