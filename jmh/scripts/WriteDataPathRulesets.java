import dev.kubeproxy.api.ForwardingTable;
import dev.kubeproxy.jmh.LoadedModel;
import dev.kubeproxy.jmh.Workload;
import dev.kubeproxy.nftables.NftCompiler;
import dev.kubeproxy.nftables.NftRenderer;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Writes the data-path benchmark's two rulesets for Workload.groups(SERVICES, GROUPS) as nft -f
 * files: ours (the text of our backend's first full sync) and upstream-style, for
 * probes by hand such as affinity-walk.sh.
 * Usage: java -cp jmh/target/benchmarks.jar jmh/scripts/WriteDataPathRulesets.java 1000 50 DIR
 */
public class WriteDataPathRulesets {
  public static void main(String[] args) throws Exception {
    ForwardingTable table = LoadedModel.load(
        Workload.groups(Integer.parseInt(args[0]), Integer.parseInt(args[1]))).table();
    Path dir = Files.createDirectories(Path.of(args[2]));
    Files.writeString(dir.resolve("ours.nft"),
        new NftRenderer().render(new NftCompiler().full(table).transaction()));
    // Package-private in the benchmarks; this script runs in its own class loader.
    Method text = Class.forName("dev.kubeproxy.jmh.UpstreamStyleRuleset")
        .getDeclaredMethod("text", ForwardingTable.class);
    text.setAccessible(true);
    Files.writeString(dir.resolve("upstream.nft"), (String) text.invoke(null, table));
    System.out.println("ours.nft and upstream.nft in " + dir);
  }
}
