import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Issue 13, part 2: is the process start of {@code nft} what keeps a one-element change above
 * the floor? Applies the same one-element changes (add, then delete, an address in SET of
 * table ip TABLE) alternately through {@code nft -f -} as a child process and in process through
 * libnftables (the JDK's foreign-function API, JDK 22+), and prints the median and p90 of each.
 * Run it inside a scratch network namespace that holds the table, with a JDK 22+:
 * {@code ip netns exec NS /usr/lib/jvm/temurin-25-jdk-amd64/bin/java LibnftablesFloor.java TABLE SET [RUNS]}.
 */
public class LibnftablesFloor {
  public static void main(String[] args) throws Throwable {
    String table = args[0];
    String set = args[1];
    int runs = args.length > 2 ? Integer.parseInt(args[2]) : 200;
    Linker linker = Linker.nativeLinker();
    SymbolLookup nft = SymbolLookup.libraryLookup("libnftables.so.1", Arena.global());
    MethodHandle ctxNew = linker.downcallHandle(nft.find("nft_ctx_new").orElseThrow(),
        FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
    MethodHandle run = linker.downcallHandle(nft.find("nft_run_cmd_from_buffer").orElseThrow(),
        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS));
    MemorySegment ctx = (MemorySegment) ctxNew.invokeExact(0);

    List<Long> process = new ArrayList<>();
    List<Long> inProcess = new ArrayList<>();
    for (int i = 0; i < runs; i++) {
      String address = "198.18." + (i / 250 % 250) + "." + (i % 250 + 1);
      String add = "add element ip " + table + " " + set + " { " + address + " }\n";
      String delete = "delete element ip " + table + " " + set + " { " + address + " }\n";
      // Alternate which path goes first, so drift on a shared machine hits both alike.
      for (boolean viaProcess : i % 2 == 0 ? new boolean[] {true, false} : new boolean[] {false, true}) {
        for (String command : List.of(add, delete)) {
          long start = System.nanoTime();
          if (viaProcess) {
            Process p = new ProcessBuilder("nft", "-f", "-").redirectErrorStream(true).start();
            p.getOutputStream().write(command.getBytes(StandardCharsets.UTF_8));
            p.getOutputStream().close();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (p.waitFor() != 0) {
              throw new IllegalStateException("nft -f failed: " + out);
            }
            process.add(System.nanoTime() - start);
          } else {
            int rc;
            try (Arena arena = Arena.ofConfined()) {
              rc = (int) run.invokeExact(ctx, arena.allocateFrom(command));
            }
            if (rc != 0) {
              throw new IllegalStateException("libnftables failed on: " + command);
            }
            inProcess.add(System.nanoTime() - start);
          }
        }
      }
    }
    System.out.printf("one-element change, %d each: nft -f - (process) median %.2f ms p90 %.2f ms;"
            + " libnftables in process median %.2f ms p90 %.2f ms%n",
        process.size(), pct(process, 50), pct(process, 90), pct(inProcess, 50), pct(inProcess, 90));
  }

  private static double pct(List<Long> nanos, int percentile) {
    List<Long> sorted = new ArrayList<>(nanos);
    Collections.sort(sorted);
    return sorted.get(Math.min(sorted.size() - 1, sorted.size() * percentile / 100)) / 1e6;
  }
}
