package dev.kubeproxy.jmh;

/**
 * What the kernel benchmark measured for one workload shape. Times are wall-clock; a null
 * {@link Samples} means the phase did not run (time budget exhausted).
 *
 * @param failure why the real kernel could not take this shape, or null
 * @param loadMs events into the tracker plus the first full table build
 * @param fullSyncMs the backend's first full sync (compile, render, {@code nft -f})
 * @param fullNftMs the {@code nft} process within {@code fullSyncMs}
 * @param fullBareMs {@code nft -f} of the same full text by hand into an empty namespace
 * @param ours one-endpoint change from tracker event to {@code nft} exit
 * @param oursNft the {@code nft} process within {@code ours}
 * @param bare {@code nft -f FILE} by hand of the change text our backend rendered
 * @param upstream upstream's approach: {@code nft -j list table} first, then the same change
 * @param upstreamList the listing within {@code upstream}
 */
public record ShapeResult(
    Workload.Shape shape,
    String failure,
    long fullPayloadBytes,
    double loadMs,
    double fullSyncMs,
    double fullNftMs,
    double fullBareMs,
    long heapBytes,
    long rssBytes,
    int changePayloadBytes,
    Samples ours,
    Samples oursNft,
    Samples bare,
    Samples upstream,
    Samples upstreamList) {

  /** A shape the real kernel refused: only the memory with it loaded was measured. */
  static ShapeResult failed(
      Workload.Shape shape, String failure, long payloadBytes, long heapBytes, long rssBytes) {
    return new ShapeResult(shape, failure, payloadBytes, 0, 0, 0, 0, heapBytes, rssBytes, 0,
        null, null, null, null, null);
  }

  /** The first full sync end to end: event intake, build, and the backend's sync. */
  public double firstSyncMs() {
    return loadMs + fullSyncMs;
  }
}
