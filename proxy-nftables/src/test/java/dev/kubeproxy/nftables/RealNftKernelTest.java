package dev.kubeproxy.nftables;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mockito.ArgumentMatchers.anyString;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.verify;

import dev.kubeproxy.api.IpFamily;
import dev.kubeproxy.api.command.Command;
import dev.kubeproxy.api.command.CommandResult;
import dev.kubeproxy.nftables.NftOp.AddElement;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** Which path a transaction takes: the library for changes, the tool for full loads. */
class RealNftKernelTest {
  private static final NftTable V4 = NftTable.kubeProxy(IpFamily.V4);
  private final List<Command> toolRuns = new ArrayList<>();
  private final Libnftables library = mock(Libnftables.class);
  private final RealNftKernel kernel = new RealNftKernel(command -> {
    toolRuns.add(command);
    return new CommandResult(0, "", "");
  }, library);

  @Test
  @DisplayName("a change goes through the library in process, not the tool")
  void changeInProcess() throws Exception {
    kernel.apply(transaction(10));

    verify(library).run(anyString());
    assertThat(toolRuns).isEmpty();
  }

  @Test
  @DisplayName("a transaction over 1 MiB of text (a full load) goes to the tool even with the library")
  void fullLoadThroughTheTool() throws Exception {
    kernel.apply(transaction(150_000));

    verify(library, never()).run(anyString());
    assertThat(toolRuns).singleElement()
        .satisfies(c -> assertThat(c.argv()).containsExactly("nft", "-f", "-"));
  }

  private static NftTransaction transaction(int elements) {
    List<NftOp> ops = new ArrayList<>();
    for (int i = 0; i < elements; i++) {
      ops.add(new AddElement(V4, "cluster-ips",
          NftElement.of("10." + (i >> 16 & 255) + "." + (i >> 8 & 255) + "." + (i & 255))));
    }
    return NftTransaction.of(ops);
  }
}
