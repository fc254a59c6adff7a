package dev.kubeproxy.userspace;

/**
 * A snapshot of one service port's traffic through the userspace proxy: connections (UDP
 * sessions count as connections) open now and ever accepted, bytes read from clients for
 * endpoints ({@code bytesIn}) and from endpoints for clients ({@code bytesOut}), failed endpoint
 * dials (for UDP: sessions ended by an ICMP refusal), and dials that retried another endpoint.
 */
public record ServicePortStats(
    long activeConnections,
    long totalConnections,
    long bytesIn,
    long bytesOut,
    long dialFailures,
    long retries) {}
