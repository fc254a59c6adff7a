/**
 * The IPVS backend (DESIGN §6): {@link dev.kubeproxy.ipvs.IpvsCompiler} turns forwarding-table
 * changes into {@link dev.kubeproxy.ipvs.IpvsTransaction}s (virtual and real servers, {@code
 * kube-ipvs0} addresses, ipsets, iptables glue), {@link dev.kubeproxy.ipvs.IpvsRenderer} into the
 * exact tool inputs, and {@link dev.kubeproxy.ipvs.RealIpvsKernel} or {@link
 * dev.kubeproxy.ipvs.FakeIpvsKernel} applies them; {@link dev.kubeproxy.ipvs.IpvsProvider} is the
 * mode {@code ipvs}. Known differences from {@code Trace} are listed in the module's README.md.
 */
package dev.kubeproxy.ipvs;
