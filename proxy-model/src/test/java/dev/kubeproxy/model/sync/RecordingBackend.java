package dev.kubeproxy.model.sync;

import dev.kubeproxy.api.backend.Backend;
import dev.kubeproxy.api.backend.SyncException;
import dev.kubeproxy.api.backend.SyncRequest;
import dev.kubeproxy.api.backend.SyncResult;
import java.util.ArrayList;
import java.util.List;

/** A {@link Backend} that records every request and fails the next {@code failures} of them. */
final class RecordingBackend implements Backend {
  final List<SyncRequest> requests = new ArrayList<>();
  int failures;
  /** What {@link #intact} answers; each check is counted. */
  boolean intact = true;
  int intactChecks;
  /** Runs inside each sync call (to simulate events arriving or time passing mid-sync). */
  Runnable duringSync = () -> {};

  @Override
  public String mode() {
    return "recording";
  }

  @Override
  public SyncResult sync(SyncRequest request) throws SyncException {
    requests.add(request);
    duringSync.run();
    if (failures > 0) {
      failures--;
      throw new SyncException("scripted failure");
    }
    return new SyncResult(request.changes().size(), 0);
  }

  @Override
  public String render(SyncRequest request) {
    return request.changes().size() + " families";
  }

  @Override
  public boolean intact() {
    intactChecks++;
    return intact;
  }

  @Override
  public void cleanup() {}

  SyncRequest last() {
    return requests.get(requests.size() - 1);
  }
}
