#!/bin/bash
# Interleaved bare `nft -f` timing of two layouts at one shape, each in its own scratch network
# namespace (deleted on exit; nothing touches the machine's own namespace). AFTER and BEFORE are
# --save-dir directories of KernelBenchmark. Prints "<kind> <layout> <microseconds>" per run.
# Usage (root): interleave-nft.sh AFTER_DIR BEFORE_DIR [SHAPE] [RUNS]
set -e
AFTER_DIR=$1; BEFORE_DIR=$2; SHAPE=${3:-M}; RUNS=${4:-20}
A=kpj-interleave-after-$$; B=kpj-interleave-before-$$
trap 'ip netns del $A 2>/dev/null; ip netns del $B 2>/dev/null' EXIT
ip netns add $A
ip netns add $B
for pair in "$A $AFTER_DIR" "$B $BEFORE_DIR"; do
  set -- $pair
  ip netns exec $1 nft -f $2/$SHAPE-full.nft
  ip netns exec $1 nft -f $2/$SHAPE-group-setup.nft
done
t() { local s=$(date +%s%N); ip netns exec $1 nft -f $2; echo $(( ($(date +%s%N) - s) / 1000 )); }
for kind in change group; do
  for i in $(seq 1 $RUNS); do
    for pair in "after $A $AFTER_DIR" "before $B $BEFORE_DIR"; do
      set -- $pair
      echo "$kind $1 $(t $2 $3/$SHAPE-$kind-forward.nft)"
      echo "$kind $1 $(t $2 $3/$SHAPE-$kind-back.nft)"
    done
  done
done
