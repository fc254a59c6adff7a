package dev.kubeproxy.nftables;

import java.lang.invoke.MethodHandle;
import java.lang.reflect.Array;
import java.lang.reflect.Method;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * nftables' own library, libnftables, called in process through the JDK's foreign-function API
 * (final since JDK 22): one {@code nft_ctx} for the process, each transaction one
 * {@code nft_run_cmd_from_buffer}, which applies a buffer as one atomic batch, as {@code nft -f}
 * does. It spares the tool's process start and its re-read of the table, which are nearly all of
 * a small change's cost (at workload M 0.64 ms in process against 15.7 ms through {@code nft -f},
 * jmh/RESULTS.md). The API is reached by reflection, so this compiles for Java 17 and is simply
 * absent ({@link #open()} empty) on a JDK without it. It programs the namespace of the JVM.
 */
final class Libnftables {
  private static final Logger log = LoggerFactory.getLogger(Libnftables.class);
  static final String LIBRARY = "libnftables.so.1";
  private static final int FIRST_JDK_WITH_THE_API = 22;

  private final Method ofConfined;
  private final Method allocateFrom;
  private final Method reinterpret;
  private final Method getString;
  private final MethodHandle runCmdFromBuffer;
  private final MethodHandle getErrorBuffer;
  private final Object ctx;

  private Libnftables(Method ofConfined, Method allocateFrom, Method reinterpret,
      Method getString, MethodHandle runCmdFromBuffer, MethodHandle getErrorBuffer, Object ctx) {
    this.ofConfined = ofConfined;
    this.allocateFrom = allocateFrom;
    this.reinterpret = reinterpret;
    this.getString = getString;
    this.runCmdFromBuffer = runCmdFromBuffer;
    this.getErrorBuffer = getErrorBuffer;
    this.ctx = ctx;
  }

  /**
   * The library, ready, or empty with one INFO line saying why not (a JDK before 22, no
   * libnftables, a JVM that refuses native access).
   */
  static Optional<Libnftables> open() {
    int jdk = Runtime.version().feature();
    if (jdk < FIRST_JDK_WITH_THE_API) {
      log.info("nftables changes go through the nft tool (in-process libnftables needs JDK {}+,"
          + " this is {})", FIRST_JDK_WITH_THE_API, jdk);
      return Optional.empty();
    }
    try {
      Ffi ffi = new Ffi();
      MethodHandle ctxNew = ffi.downcall("nft_ctx_new", ffi.address, ffi.javaInt);
      MethodHandle bufferError = ffi.downcall("nft_ctx_buffer_error", ffi.javaInt, ffi.address);
      MethodHandle run =
          ffi.downcall("nft_run_cmd_from_buffer", ffi.javaInt, ffi.address, ffi.address);
      MethodHandle errorBuffer =
          ffi.downcall("nft_ctx_get_error_buffer", ffi.address, ffi.address);

      Object ctx = ctxNew.invokeWithArguments(0); // NFT_CTX_DEFAULT
      if ((long) ffi.memorySegment.getMethod("address").invoke(ctx) == 0) {
        throw new IllegalStateException("nft_ctx_new returned NULL");
      }
      // Errors go to a buffer we read, not to the JVM's stderr.
      bufferError.invokeWithArguments(ctx);
      Libnftables library = new Libnftables(ffi.arena.getMethod("ofConfined"),
          ffi.segmentAllocator.getMethod("allocateFrom", String.class),
          ffi.memorySegment.getMethod("reinterpret", long.class),
          ffi.memorySegment.getMethod("getString", long.class), run, errorBuffer, ctx);
      log.info("nftables changes are applied in process through {} (JDK {})", LIBRARY, jdk);
      return Optional.of(library);
    } catch (VirtualMachineError e) {
      throw e;
    } catch (Throwable e) {
      log.info("nftables changes go through the nft tool: cannot use {} in process: {}", LIBRARY,
          rootMessage(e));
      return Optional.empty();
    }
  }

  /** The foreign-function API's pieces, by reflection, and libnftables' symbols. */
  private static final class Ffi {
    final Class<?> arena = Class.forName("java.lang.foreign.Arena");
    final Class<?> memorySegment = Class.forName("java.lang.foreign.MemorySegment");
    final Class<?> segmentAllocator = Class.forName("java.lang.foreign.SegmentAllocator");
    private final Class<?> memoryLayout = Class.forName("java.lang.foreign.MemoryLayout");
    private final Class<?> linkerClass = Class.forName("java.lang.foreign.Linker");
    private final Class<?> symbolLookup = Class.forName("java.lang.foreign.SymbolLookup");
    private final Class<?> functionDescriptor = Class.forName("java.lang.foreign.FunctionDescriptor");
    private final Class<?> linkerOption = Class.forName("java.lang.foreign.Linker$Option");
    final Object address;
    final Object javaInt;
    private final Object linker;
    private final Object library;

    Ffi() throws ReflectiveOperationException {
      Class<?> valueLayout = Class.forName("java.lang.foreign.ValueLayout");
      address = valueLayout.getField("ADDRESS").get(null);
      javaInt = valueLayout.getField("JAVA_INT").get(null);
      linker = linkerClass.getMethod("nativeLinker").invoke(null);
      Object global = arena.getMethod("global").invoke(null);
      library = symbolLookup.getMethod("libraryLookup", String.class, arena)
          .invoke(null, LIBRARY, global);
    }

    /** A method handle for the C function {@code name} returning {@code result}. */
    MethodHandle downcall(String name, Object result, Object... arguments)
        throws ReflectiveOperationException {
      Object symbol = ((Optional<?>) symbolLookup.getMethod("find", String.class)
          .invoke(library, name))
          .orElseThrow(() -> new IllegalStateException(LIBRARY + " has no " + name));
      Object layouts = Array.newInstance(memoryLayout, arguments.length);
      for (int i = 0; i < arguments.length; i++) {
        Array.set(layouts, i, arguments[i]);
      }
      Object descriptor = functionDescriptor.getMethod("of", memoryLayout, layouts.getClass())
          .invoke(null, result, layouts);
      Object noOptions = Array.newInstance(linkerOption, 0);
      return (MethodHandle) linkerClass
          .getMethod("downcallHandle", memorySegment, functionDescriptor, noOptions.getClass())
          .invoke(linker, symbol, descriptor, noOptions);
    }
  }

  /** Applies {@code commands} (nft's file syntax) as one transaction; throws with nft's error. */
  synchronized void run(String commands) throws NftException {
    int rc;
    try (AutoCloseable arena = (AutoCloseable) ofConfined.invoke(null)) {
      Object buffer = allocateFrom.invoke(arena, commands);
      rc = (int) runCmdFromBuffer.invokeWithArguments(ctx, buffer);
    } catch (Throwable e) {
      throw new NftException("libnftables failed: " + rootMessage(e), e);
    }
    if (rc != 0) {
      throw new NftException("nft failed: " + errorText().strip());
    }
  }

  private String errorText() {
    try {
      Object text = getErrorBuffer.invokeWithArguments(ctx);
      // The pointer comes back as a zero-length segment: widen it to read the C string.
      Object readable = reinterpret.invoke(text, Long.MAX_VALUE);
      return (String) getString.invoke(readable, 0L);
    } catch (Throwable e) {
      return "(error text unreadable: " + rootMessage(e) + ")";
    }
  }

  private static String rootMessage(Throwable e) {
    Throwable root = e;
    while (root.getCause() != null) {
      root = root.getCause();
    }
    return root.getClass().getSimpleName() + ": " + root.getMessage();
  }
}
