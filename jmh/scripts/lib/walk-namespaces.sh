# Sourced by affinity-walk.sh and mark-carry-check.sh: three scratch namespaces wired as the
# data-path benchmark (client C 10.64.0.2 -> node N -> server S owning 10.65.0.0/16, serving
# port 8080 with conn.c), deleted on exit; nothing touches the machine's own namespace.
# Sets C, N, S, WORK (a temporary directory holding the conn binary) and defines nftn (nft in N).
# Usage: . lib/walk-namespaces.sh PREFIX
C=$1-c-$$; N=$1-n-$$; S=$1-s-$$
WORK=$(mktemp -d); SERVER=
cleanup() {
  set +e
  [ -n "$SERVER" ] && kill $SERVER 2>/dev/null && wait $SERVER 2>/dev/null
  for ns in $C $N $S; do ip netns del $ns 2>/dev/null; done
  rm -rf $WORK
}
trap cleanup EXIT
gcc -O2 -o $WORK/conn "$(dirname "${BASH_SOURCE[0]}")/../../src/main/resources/datapath/conn.c"
for ns in $C $N $S; do ip netns add $ns; ip -n $ns link set lo up; done
ip -n $C link add c0 type veth peer name n0 netns $N
ip -n $N link add n1 type veth peer name s0 netns $S
ip -n $C addr add 10.64.0.2/24 dev c0; ip -n $C link set c0 up
ip -n $C route add default via 10.64.0.1
ip -n $N addr add 10.64.0.1/24 dev n0; ip -n $N addr add 10.255.0.1/30 dev n1
ip -n $N link set n0 up; ip -n $N link set n1 up; ip -n $N route add 10.65.0.0/16 via 10.255.0.2
ip -n $S addr add 10.255.0.2/30 dev s0; ip -n $S link set s0 up
ip -n $S route add 10.64.0.0/24 via 10.255.0.1; ip -n $S route add local 10.65.0.0/16 dev lo
ip netns exec $N sysctl -qw net.ipv4.ip_forward=1
ip netns exec $S $WORK/conn server 8080 > $WORK/server.log & SERVER=$!
sleep 0.5
nftn() { ip netns exec $N nft "$@"; }
