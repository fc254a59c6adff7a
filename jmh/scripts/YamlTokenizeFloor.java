import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.events.Event;

/**
 * A lower bound for reading manifests in a cold JVM: SnakeYAML's parser events only (no node
 * graph, no Java objects, no binding), one file per core in parallel, as the binary reads them.
 * Usage: java -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -cp proxy-bin/target/kube-proxy-java.jar \
 *            jmh/scripts/YamlTokenizeFloor.java DIR
 * The source launcher compiles this file first: its time is before main and not reported.
 */
public class YamlTokenizeFloor {
  public static void main(String[] args) throws Exception {
    long start = System.nanoTime();
    List<Path> files;
    try (Stream<Path> listing = Files.list(Path.of(args[0]))) {
      files = listing.sorted().toList();
    }
    ExecutorService pool = Executors.newFixedThreadPool(Runtime.getRuntime().availableProcessors());
    List<Future<Long>> counts = new ArrayList<>();
    for (Path file : files) {
      counts.add(pool.submit(() -> {
        LoaderOptions options = new LoaderOptions();
        options.setCodePointLimit(Integer.MAX_VALUE);
        long events = 0;
        for (Event ignored : new Yaml(options).parse(Files.newBufferedReader(file))) {
          events++;
        }
        return events;
      }));
    }
    long events = 0;
    for (Future<Long> count : counts) {
      events += count.get();
    }
    pool.shutdown();
    System.out.printf("%d files, %d parser events in %.0f ms%n", files.size(), events,
        (System.nanoTime() - start) / 1e6);
  }
}
