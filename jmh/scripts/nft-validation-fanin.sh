#!/bin/bash
# Does this kernel re-walk a chain reached through many verdict elements when it validates the
# chain graph? N elements of verdict map `outer` all `goto mid`; chain `mid` looks up verdict map
# `inner` with M elements. Without cached validation a load (and every commit that validates)
# walks `inner` N times; with it, once. Prints the load time and one-element changes.
# Usage (as root): nft-validation-fanin.sh N M      e.g. 10000 10000
# Runs only in a scratch namespace it creates and deletes.
set -euo pipefail
N=$1; M=$2
ns=kpj-fanin-$$
ms() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }
ip netns add "$ns"
trap 'ip netns del "$ns"' EXIT
load=$(mktemp)
{
  echo "add table ip t"
  echo "add chain ip t pre { type nat hook prerouting priority -100; }"
  echo "add chain ip t leaf"
  echo "add rule ip t leaf counter"
  echo "add chain ip t mid"
  echo "add map ip t inner { type ipv4_addr . inet_service : verdict; }"
  echo "add rule ip t mid ip daddr . tcp dport vmap @inner"
  echo "add map ip t outer { type ipv4_addr : verdict; }"
  echo "add rule ip t pre ip daddr vmap @outer"
  for ((i = 0; i < M; i++)); do
    echo "add element ip t inner { 10.$((i / 65536 + 1)).$((i / 256 % 256)).$((i % 256)) . 80 : goto leaf }"
  done
  for ((i = 0; i < N; i++)); do
    echo "add element ip t outer { 10.$((i / 65536 + 100)).$((i / 256 % 256)).$((i % 256)) : goto mid }"
  done
} > "$load"
t0=$(date +%s%N); ip netns exec "$ns" nft -f "$load"; echo "N=$N M=$M load $(ms "$t0") ms"
rm -f "$load"
for k in 1 2 3 4 5; do
  t0=$(date +%s%N)
  ip netns exec "$ns" nft "add element ip t outer { 192.168.1.1 : goto mid }"
  add=$(ms "$t0")
  ip netns exec "$ns" nft "delete element ip t outer { 192.168.1.1 }"
  t0=$(date +%s%N)
  ip netns exec "$ns" nft -f - <<NFT
delete element ip t outer { 10.100.0.5 }
add element ip t outer { 10.100.0.5 : goto leaf }
NFT
  move=$(ms "$t0")
  ip netns exec "$ns" nft -f - <<NFT
delete element ip t outer { 10.100.0.5 }
add element ip t outer { 10.100.0.5 : goto mid }
NFT
  echo "one outer element added: $add ms; one moved to another chain: $move ms"
done
