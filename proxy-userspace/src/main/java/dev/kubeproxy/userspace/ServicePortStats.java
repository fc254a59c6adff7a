package dev.kubeproxy.userspace;

/**
 * A snapshot of one service port's traffic through the userspace proxy: connections (UDP
 * sessions count as connections) open now and ever accepted, bytes from clients to endpoints
 * ({@code bytesIn}) and back ({@code bytesOut}), failed endpoint dials, and dials that retried
 * another endpoint after a failure.
 */
public record ServicePortStats(
    long activeConnections,
    long totalConnections,
    long bytesIn,
    long bytesOut,
    long dialFailures,
    long retries) {}
