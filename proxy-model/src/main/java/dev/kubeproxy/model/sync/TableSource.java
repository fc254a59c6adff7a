package dev.kubeproxy.model.sync;

import dev.kubeproxy.api.ForwardingTable;
import dev.kubeproxy.api.IpFamily;
import dev.kubeproxy.api.NamespacedName;
import dev.kubeproxy.model.ClusterSnapshot;
import dev.kubeproxy.model.PendingChanges;
import dev.kubeproxy.model.TableUpdate;
import java.util.Set;

/**
 * Where the sync engine gets its inputs and tables: the seam between {@link ServiceProxy} and
 * the model. {@link TrackerTableSource} is the production one (a {@code ChangeTracker} and
 * {@code TableBuilder}); tests substitute a small stand-in.
 */
public interface TableSource {
  /** Whether the inputs completed their initial listing (nothing is programmed before). */
  boolean ready();

  /** Takes the changes pending since the last drain, with the snapshot now. */
  PendingChanges drain();

  /** Builds the whole table of {@code family} from {@code snapshot}. */
  ForwardingTable build(IpFamily family, ClusterSnapshot snapshot);

  /** Rebuilds only {@code changedServices}' entries of {@code previous}. */
  TableUpdate update(
      ForwardingTable previous,
      ClusterSnapshot previousSnapshot,
      ClusterSnapshot snapshot,
      Set<NamespacedName> changedServices);
}
