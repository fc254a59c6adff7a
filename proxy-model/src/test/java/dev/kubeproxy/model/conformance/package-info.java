/**
 * Kernel conformance suites every backend runs in a network-namespace lab: traffic, policy,
 * lifecycle and differential (against {@code Trace}). A backend plugs in by implementing {@link
 * dev.kubeproxy.model.conformance.BackendUnderTest} (mode, a backend on the lab node's command
 * runner, a text listing of its rules) and adding, in its own module, one {@code @KernelTest}
 * subclass per suite named {@code <Mode>TrafficKernelTest} etc. that returns it; what the backend
 * cannot do it names in {@code exclusions()} ({@link dev.kubeproxy.model.conformance.Capability}
 * plus a reason), and those tests print {@code EXCLUDED ...} instead of running.
 */
package dev.kubeproxy.model.conformance;
