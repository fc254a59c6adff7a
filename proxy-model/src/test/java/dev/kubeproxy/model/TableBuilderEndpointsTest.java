package dev.kubeproxy.model;

import static dev.kubeproxy.model.Fixtures.NODE;
import static dev.kubeproxy.model.Fixtures.entry;
import static dev.kubeproxy.model.Fixtures.key;
import static dev.kubeproxy.model.Fixtures.service;
import static dev.kubeproxy.model.Fixtures.slice;
import static dev.kubeproxy.model.Fixtures.snapshot;
import static dev.kubeproxy.model.Fixtures.strings;
import static dev.kubeproxy.model.Fixtures.v4;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kubeproxy.api.EndpointSlice;
import dev.kubeproxy.api.ForwardingTable;
import dev.kubeproxy.api.Protocol;
import dev.kubeproxy.api.Service;
import dev.kubeproxy.api.ServiceEndpoint;
import dev.kubeproxy.api.ServiceEntry;
import dev.kubeproxy.api.ServicePortKey;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** How EndpointSlices become the endpoints of each service port. */
class TableBuilderEndpointsTest {
  private final Service web = service("web", "10.0.0.1").build();

  @Test
  @DisplayName("endpoints of all slices labelled for the service are merged")
  void slicesMerged() {
    EndpointSlice s1 = slice("web-1", "web").endpoint("10.1.0.1", "n1").build();
    EndpointSlice s2 = slice("web-2", "web").endpoint("10.1.0.2", "n2").build();
    EndpointSlice other = slice("x-1", "x").endpoint("10.1.0.3", "n2").build();
    ServiceEntry e = entry(v4(snapshot(web, s1, s2, other)), "web");
    assertThat(strings(e.internal().endpoints())).containsExactly("10.1.0.1:8080", "10.1.0.2:8080");
  }

  @Test
  @DisplayName("the same ip:port in two slices appears once, and the ready copy wins whichever slice holds it")
  void duplicatesPreferReady() {
    for (boolean readyFirst : new boolean[] {true, false}) {
      EndpointSlice a = slice("web-a", "web").endpoint("10.1.0.1", !readyFirst, !readyFirst, false, "n1", null, null, null).build();
      EndpointSlice b = slice("web-b", "web").endpoint("10.1.0.1", readyFirst, readyFirst, false, "n1", null, null, null).build();
      ServiceEntry e = entry(v4(snapshot(web, a, b)), "web");
      assertThat(e.internal().endpoints())
          .as("ready copy in slice %s", readyFirst ? "b" : "a")
          .hasSize(1)
          .allSatisfy(ep -> assertThat(ep.terminating()).isFalse());
    }
  }

  @Test
  @DisplayName("slice ports map to service ports by name (and protocol); each port gets its own target port")
  void portNameMapping() {
    Service s = service("web", "10.0.0.1").port("metrics", "TCP", 9000).port("dns", "UDP", 53).build();
    EndpointSlice sl =
        EndpointSlice.builder("ns", "web-1")
            .serviceName("web")
            .port("metrics", "TCP", 9100)
            .port("http", "TCP", 8080)
            .port("dns", "TCP", 5353)
            .port("unknown", "TCP", 1234)
            .endpoint("10.1.0.1", "n1")
            .build();
    ForwardingTable table = v4(snapshot(s, sl));
    assertThat(strings(entry(table, "web").internal().endpoints())).containsExactly("10.1.0.1:8080");
    assertThat(strings(table.entry(key("web", "metrics")).internal().endpoints())).containsExactly("10.1.0.1:9100");
    assertThat(table.entry(ServicePortKey.of("ns", "web", "dns", Protocol.UDP)).internal().endpoints())
        .as("a slice port with the right name but another protocol does not serve the port")
        .isEmpty();
  }

  @Test
  @DisplayName("different target ports for the same IP in two slices are two endpoints")
  void differentTargetPortsKept() {
    EndpointSlice a = slice("web-a", "web").endpoint("10.1.0.1", "n1").build();
    EndpointSlice b =
        EndpointSlice.builder("ns", "web-b").serviceName("web").port("http", "TCP", 9090).endpoint("10.1.0.1", "n1").build();
    assertThat(strings(entry(v4(snapshot(web, a, b)), "web").internal().endpoints()))
        .containsExactly("10.1.0.1:8080", "10.1.0.1:9090");
  }

  @Test
  @DisplayName("endpoints are ordered by the ip:port string, so 10.1.1.11:11 sorts before 10.1.1.1:11")
  void stringOrder() {
    EndpointSlice sl =
        EndpointSlice.builder("ns", "web-1")
            .serviceName("web")
            .port("http", "TCP", 11)
            .endpoint("10.1.1.2", "n")
            .endpoint("10.1.1.1", "n")
            .endpoint("10.1.1.11", "n")
            .build();
    assertThat(strings(entry(v4(snapshot(web, sl)), "web").internal().endpoints()))
        .containsExactly("10.1.1.11:11", "10.1.1.1:11", "10.1.1.2:11");
  }

  @Test
  @DisplayName("FQDN slices, slices of the other family, and slices labelled headless or for another proxy are ignored")
  void ignoredSlices() {
    EndpointSlice fqdn = slice("web-f", "web").addressType("FQDN").build();
    EndpointSlice v6 = slice("web-6", "web").addressType("IPv6").endpoint("fd00::5", "n").build();
    EndpointSlice headless = slice("web-h", "web").label(Service.LABEL_HEADLESS, "").endpoint("10.1.0.7", "n").build();
    EndpointSlice proxied =
        slice("web-p", "web").label(Service.LABEL_SERVICE_PROXY_NAME, "x").endpoint("10.1.0.8", "n").build();
    EndpointSlice good = slice("web-1", "web").endpoint("10.1.0.1", "n").build();
    assertThat(strings(entry(v4(snapshot(web, fqdn, v6, headless, proxied, good)), "web").internal().endpoints()))
        .containsExactly("10.1.0.1:8080");
  }

  @Test
  @DisplayName("an endpoint is local when its nodeName equals this proxy's node name")
  void localFlag() {
    EndpointSlice sl = slice("web-1", "web").endpoint("10.1.0.1", NODE).endpoint("10.1.0.2", "other").endpoint("10.1.0.3", null).build();
    assertThat(entry(v4(snapshot(web, sl)), "web").internal().endpoints())
        .extracting(ServiceEndpoint::local)
        .containsExactly(true, false, false);
  }

  @Test
  @DisplayName("an endpoint is on another node only when its slice names one; only those cannot hairpin here")
  void otherNodeFlag() {
    EndpointSlice sl = slice("web-1", "web").endpoint("10.1.0.1", NODE).endpoint("10.1.0.2", "other")
        .endpoint("10.1.0.3", null).endpoint("10.1.0.4", "").build();
    var endpoints = entry(v4(snapshot(web, sl)), "web").internal().endpoints();
    assertThat(endpoints).extracting(ServiceEndpoint::otherNode)
        .containsExactly(false, true, false, false);
    assertThat(endpoints).extracting(ServiceEndpoint::mayHairpinHere)
        .containsExactly(true, false, true, true);
  }
}
