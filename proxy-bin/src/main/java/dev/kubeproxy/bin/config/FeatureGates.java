package dev.kubeproxy.bin.config;

import com.google.common.base.Splitter;
import com.google.common.collect.ImmutableMap;
import com.google.common.collect.ImmutableSet;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Upstream's feature gates as kube-proxy accepts them: the names Kubernetes knows (an unknown
 * one is an error, as upstream's {@code unrecognized feature gate}), of which this proxy acts on
 * {@code PreferSameTrafficDistribution} only; the rest are accepted and change nothing here.
 */
public final class FeatureGates {
  /** Upstream's gate for node hints (PreferSameNode), on by default since v1.34. */
  public static final String PREFER_SAME_NODE = "PreferSameTrafficDistribution";

  /** Gates this proxy acts on. */
  static final ImmutableSet<String> HONOURED = ImmutableSet.of(PREFER_SAME_NODE);

  // Kubernetes' gate names (pkg/features and component-base, v1.32 to v1.35) and the
  // all-alpha / all-beta switches. Names only: their effect on upstream is not reproduced.
  private static final ImmutableSet<String> KNOWN =
      ImmutableSet.copyOf(
          Splitter.on(' ').omitEmptyStrings().split(
              "AllAlpha AllBeta AllowDNSOnlyNodeCSR AllowInsecureKubeletCertificateSigningRequests"
                  + " AllowOverwriteTerminationGracePeriodSeconds AnyVolumeDataSource AppArmor"
                  + " AppArmorFields AuthorizeNodeWithSelectors AuthorizeWithSelectors"
                  + " ClusterTrustBundle ClusterTrustBundleProjection ComponentFlagz ComponentSLIs"
                  + " ComponentStatusz ContextualLogging CoordinatedLeaderElection"
                  + " CPUManager CPUManagerPolicyAlphaOptions CPUManagerPolicyBetaOptions"
                  + " CPUManagerPolicyOptions CronJobsScheduledAnnotation CrossNamespaceVolumeDataSource"
                  + " CSIMigrationPortworx CSIVolumeHealth ContainerCheckpoint CustomCPUCFSQuotaPeriod"
                  + " DevicePluginCDIDevices DisableAllocatorDualWrite DisableCloudProviders"
                  + " DisableKubeletCloudCredentialProviders DisableNodeKubeProxyVersion"
                  + " DynamicResourceAllocation ElasticIndexedJob EventedPLEG ExecProbeTimeout"
                  + " GracefulNodeShutdown GracefulNodeShutdownBasedOnPodPriority HPAContainerMetrics"
                  + " HPAScaleToZero HonorPVReclaimPolicy ImageMaximumGCAge ImageVolume"
                  + " InPlacePodVerticalScaling InTreePluginPortworxUnregister InformerResourceVersion"
                  + " JobBackoffLimitPerIndex JobManagedBy JobPodFailurePolicy JobPodReplacementPolicy"
                  + " JobSuccessPolicy KubeProxyDrainingTerminatingNodes KubeletCgroupDriverFromCRI"
                  + " KubeletFineGrainedAuthz KubeletInUserNamespace KubeletPodResourcesDynamicResources"
                  + " KubeletPodResourcesGet KubeletRegistrationGetOnExistsOnly KubeletSeparateDiskGC"
                  + " KubeletTracing LoadBalancerIPMode LocalStorageCapacityIsolationFSQuotaMonitoring"
                  + " LogarithmicScaleDown LoggingAlphaOptions LoggingBetaOptions"
                  + " MatchLabelKeysInPodAffinity MatchLabelKeysInPodTopologySpread"
                  + " MaxUnavailableStatefulSet MemoryManager MemoryQoS MultiCIDRServiceAllocator"
                  + " NFTablesProxyMode NodeInclusionPolicyInPodTopologySpread NodeLogQuery NodeSwap"
                  + " PDBUnhealthyPodEvictionPolicy PersistentVolumeLastPhaseTransitionTime"
                  + " PodAndContainerStatsFromCRI PodDeletionCost PodDisruptionConditions PodHostIPs"
                  + " PodIndexLabel PodLifecycleSleepAction PodReadyToStartContainersCondition"
                  + " PodSchedulingReadiness PortForwardWebsockets PreferSameTrafficDistribution"
                  + " ProcMountType QOSReserved RecoverVolumeExpansionFailure RecursiveReadOnlyMounts"
                  + " RelaxedDNSSearchValidation RelaxedEnvironmentVariableValidation"
                  + " ReloadKubeletServerCertificateFile ResourceHealthStatus"
                  + " RotateKubeletServerCertificate RuntimeClassInImageCriApi SELinuxChangePolicy"
                  + " SELinuxMount SELinuxMountReadWriteOncePod SchedulerQueueingHints"
                  + " SeparateTaintEvictionController ServiceAccountTokenJTI"
                  + " ServiceAccountTokenNodeBinding ServiceAccountTokenNodeBindingValidation"
                  + " ServiceAccountTokenPodNodeInfo ServiceTrafficDistribution SidecarContainers"
                  + " SizeMemoryBackedVolumes StatefulSetAutoDeletePVC StatefulSetStartOrdinal"
                  + " StorageNamespaceIndex StorageVersionMigrator SupplementalGroupsPolicy"
                  + " TopologyAwareHints TopologyManagerPolicyAlphaOptions"
                  + " TopologyManagerPolicyBetaOptions TopologyManagerPolicyOptions"
                  + " TranslateStreamCloseWebsocketRequests UnknownVersionInteroperabilityProxy"
                  + " UserNamespacesPodSecurityStandards UserNamespacesSupport VolumeAttributesClass"
                  + " VolumeCapacityPriority WatchListClient WinDSR WinOverlay WindowsHostNetwork"));

  private FeatureGates() {}

  /** Whether Kubernetes knows a gate of this name. */
  public static boolean known(String name) {
    return KNOWN.contains(name);
  }

  /**
   * Checks {@code gates}; an unknown name throws {@link IllegalArgumentException} naming it, as
   * upstream refuses to start.
   */
  public static ImmutableMap<String, Boolean> check(Map<String, Boolean> gates) {
    for (String name : gates.keySet()) {
      if (!known(name)) {
        throw new IllegalArgumentException("unrecognized feature gate: " + name);
      }
    }
    return ImmutableMap.copyOf(gates);
  }

  /**
   * Parses the flag's {@code Name=true,Other=false}; throws {@link IllegalArgumentException}
   * for a malformed pair, a value other than true/false, or an unknown name.
   */
  public static ImmutableMap<String, Boolean> parse(String text) {
    Map<String, Boolean> gates = new LinkedHashMap<>();
    for (String pair : Splitter.on(',').trimResults().omitEmptyStrings().split(text)) {
      int eq = pair.indexOf('=');
      if (eq <= 0) {
        throw new IllegalArgumentException("missing bool value for " + pair);
      }
      String value = pair.substring(eq + 1).strip();
      if (!value.equalsIgnoreCase("true") && !value.equalsIgnoreCase("false")) {
        throw new IllegalArgumentException(
            "invalid value of " + pair.substring(0, eq) + "=" + value + ", want true or false");
      }
      gates.put(pair.substring(0, eq).strip(), Boolean.parseBoolean(value));
    }
    return check(gates);
  }
}
