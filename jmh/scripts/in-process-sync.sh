#!/bin/bash
# Issue 13, part 2: one service change through the binary's sync loop at workload M, applied by
# the nft tool (JDK 17) and in process through libnftables (JDK 22+), one after the other in a
# scratch namespace each. Reads the sync loop's own partial-sync histogram
# (kubeproxyjava_sync_partial_proxy_rules_duration_seconds: compile, render and apply of the
# change) after EDITS edits of a small manifest beside the workload's, and the binary's VmRSS
# then. As root.
# Usage: jmh/scripts/in-process-sync.sh JAR M-MANIFEST-DIR [EDITS] [JDK_HOME...]
set -euo pipefail
jar=$1; workload=$2; edits=${3:-10}; shift 3 || true
homes=("$@"); [ ${#homes[@]} -gt 0 ] || homes=(/usr/lib/jvm/java-17-openjdk-amd64 /usr/lib/jvm/temurin-25-jdk-amd64)
node=$(grep -m1 -A1 '^metadata:' "$workload/00-node.yaml" | sed -n 's/.*name: *//p')
for home in "${homes[@]}"; do
  ns=kpj-ipsync-$$; dir=$(mktemp -d)
  cp "$workload"/*.yaml "$dir"/
  ip netns add $ns; ip netns exec $ns ip link set lo up
  probe() { printf 'apiVersion: v1\nkind: Service\nmetadata: {name: probe, namespace: default}\nspec: {clusterIP: 10.255.0.10, ports: [{name: http, port: 80, protocol: TCP}]}\n---\napiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata: {name: probe-1, namespace: default, labels: {kubernetes.io/service-name: probe}}\naddressType: IPv4\nports: [{name: http, port: 8080, protocol: TCP}]\nendpoints: [{addresses: [10.250.0.%d], conditions: {ready: true}}]\n' "$1" > "$dir/99-probe.yaml.tmp"; mv "$dir/99-probe.yaml.tmp" "$dir/99-probe.yaml"; }
  probe 1
  ip netns exec $ns "$home/bin/java" --enable-native-access=ALL-UNNAMED -XX:MaxRAM=1280m -XX:+UseSerialGC -XX:MaxRAMPercentage=30 \
      -XX:MaxNewSize=24m -XX:-ShrinkHeapInSteps -XX:TieredStopAtLevel=1 -jar "$jar" --proxy-mode nftables \
      --manifests "$dir" --hostname-override "$node" --conntrack-max-per-core 0 \
      --metrics-bind-address 127.0.0.1:10249 --healthz-bind-address 127.0.0.1:10256 > "$dir/binary.log" 2>&1 &
  pid=$!
  for i in $(seq 1 120); do ip netns exec $ns nft list tables 2>/dev/null | grep -q kube-proxy && break; sleep 1; done
  sleep 5
  for i in $(seq 1 "$edits"); do probe $((i % 2 + 2)); sleep 4; done
  metrics=$(ip netns exec $ns curl -s 127.0.0.1:10249/metrics | grep '^kubeproxyjava_sync_partial_proxy_rules_duration_seconds_\(sum\|count\)')
  sum=$(echo "$metrics" | sed -n 's/.*_sum\({[^}]*}\)\{0,1\} //p'); count=$(echo "$metrics" | sed -n 's/.*_count\({[^}]*}\)\{0,1\} //p')
  rss=$(awk '/VmRSS/ {print int($2/1024)}' /proc/$pid/status)
  echo "$("$home/bin/java" -version 2>&1 | head -1): $(grep -o 'nftables changes [^(]*' "$dir/binary.log" | head -1)| partial syncs $count, mean $(python3 -c "print(round(1000*$sum/max($count,1),2))") ms, VmRSS after them $rss MiB"
  kill $pid; wait $pid 2>/dev/null || true
  ip netns del $ns; rm -rf "$dir"
done
