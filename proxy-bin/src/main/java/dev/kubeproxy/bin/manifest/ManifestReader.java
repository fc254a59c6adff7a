package dev.kubeproxy.bin.manifest;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableMap;
import com.google.common.collect.ImmutableSet;
import com.google.common.collect.Lists;
import com.google.gson.JsonParseException;
import dev.kubeproxy.api.EndpointSlice;
import dev.kubeproxy.api.InvalidObjectException;
import dev.kubeproxy.api.KubernetesNames;
import dev.kubeproxy.api.NamespacedName;
import dev.kubeproxy.api.Node;
import dev.kubeproxy.api.Service;
import dev.kubeproxy.api.ServiceCidr;
import dev.kubeproxy.bin.kube.KubernetesConverter;
import io.kubernetes.client.openapi.models.V1EndpointSlice;
import io.kubernetes.client.openapi.models.V1Node;
import io.kubernetes.client.openapi.models.V1Service;
import io.kubernetes.client.openapi.models.V1ServiceCIDR;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.error.YAMLException;

/**
 * Reads the v1 Services, discovery.k8s.io/v1 EndpointSlices, v1 Nodes and networking.k8s.io/v1
 * ServiceCIDRs of every
 * {@code *.yaml}/{@code *.yml} file in a directory (multi-document, {@code v1 List} too) through
 * the official client's model classes and {@link KubernetesConverter}. Each document stands
 * alone: a broken one becomes a {@link ManifestProblem} and the others still load; so does a
 * document of another kind or apiVersion. Parsing is bounded ({@link BoundedYaml}) and scalars
 * are bound strictly ({@link StrictBinding}). Objects without a namespace go to {@code
 * default}, as kubectl does.
 */
final class ManifestReader {
  private static final String DEFAULT_NAMESPACE = "default";
  // A document starts after a "---" marker line (optionally followed by a comment or content).
  private static final Pattern DOCUMENT_START = Pattern.compile("^---(\\s.*)?$");
  private static final Pattern DOCUMENT_END = Pattern.compile("^\\.\\.\\.\\s*$");
  private static final Pattern QUOTED_FIELD = Pattern.compile("`([^`]+)`");
  private static final int MAX_MESSAGE = 200;
  /** The largest manifest file read: many objects, each within {@link BoundedYaml}'s bounds. */
  static final int MAX_FILE_BYTES = 64 * 1024 * 1024;
  /** Documents parsed together on one thread: small enough to spread a file over the cores. */
  static final int BATCH_DOCUMENTS = 256;
  private static final Map<String, String> API_VERSIONS =
      Map.of(
          "List", "v1",
          "Service", "v1",
          "EndpointSlice", "discovery.k8s.io/v1",
          "Node", "v1",
          "ServiceCIDR", "networking.k8s.io/v1");

  private final StrictBinding binding = new StrictBinding();

  private final boolean allowLoopbackEndpoints;

  private ManifestReader(boolean allowLoopbackEndpoints) {
    this.allowLoopbackEndpoints = allowLoopbackEndpoints;
  }

  static ManifestReader create() {
    return new ManifestReader(false);
  }

  /** A reader that also admits loopback endpoint addresses (embedded userspace mode). */
  static ManifestReader allowingLoopbackEndpoints() {
    return new ManifestReader(true);
  }

  /**
   * Reads every manifest file of {@code directory}; throws if the directory is unreadable. The
   * files are split into documents in parallel, and the documents parsed in parallel in batches
   * of {@value #BATCH_DOCUMENTS} (so one large file spreads over every core too), each batch
   * into a record of what it holds; those records are applied in file and document order, so
   * the outcome is exactly that of reading them one by one (the first definition of an object
   * wins, problems in file order).
   */
  ManifestSnapshot read(Path directory) {
    Accumulator acc = new Accumulator();
    List<Path> files = manifestFiles(directory, acc::problem);
    List<Batch> batches = files.parallelStream().map(this::batches).toList().stream()
        .flatMap(List::stream)
        .toList();
    batches.parallelStream().map(this::readBatch).toList().forEach(batch -> batch.replayInto(acc));
    return acc.snapshot();
  }

  /** Some documents of one file, or (no documents) the problem that kept the file unread. */
  private record Batch(Path file, List<Document> documents, ManifestProblem problem) {}

  /** One YAML document of a file: where it starts, and its text. */
  private record Document(String where, String text) {}

  /** {@code file}'s documents in batches, or one batch with the problem that stopped reading. */
  private List<Batch> batches(Path file) {
    String text;
    try {
      text = readBounded(file);
    } catch (IOException | UncheckedIOException e) {
      return List.of(new Batch(file, List.of(),
          new ManifestProblem(file, "file", "", "cannot be read: " + e.getMessage())));
    }
    if (text == null) {
      return List.of(new Batch(file, List.of(), new ManifestProblem(file, "file", "",
          "larger than " + MAX_FILE_BYTES + " bytes; not read")));
    }
    return Lists.partition(documents(text), BATCH_DOCUMENTS).stream()
        .map(documents -> new Batch(file, documents, null))
        .toList();
  }

  /** What {@code batch} holds, recorded to be applied later. */
  private Accumulator readBatch(Batch batch) {
    Accumulator acc = Accumulator.recording();
    if (batch.problem() != null) {
      acc.problem(batch.problem());
    }
    BoundedYaml yaml = BoundedYaml.create();
    for (Document document : batch.documents()) {
      readDocument(yaml, batch.file(), document.where(), document.text(), acc);
    }
    return acc;
  }

  /** The {@code *.yaml}/{@code *.yml} files of {@code directory} (not hidden), sorted by name. */
  static List<Path> manifestFiles(Path directory) {
    return manifestFiles(directory, problem -> {});
  }

  /**
   * As {@link #manifestFiles(Path)}; each manifest name that is not a regular file (a FIFO, a
   * device, a directory, a dangling link or a symlink loop) is reported to {@code skipped}
   * rather than opened, since opening a FIFO or a device can block or never end.
   */
  static List<Path> manifestFiles(Path directory, Consumer<ManifestProblem> skipped) {
    List<Path> files = new ArrayList<>();
    try (DirectoryStream<Path> stream = Files.newDirectoryStream(directory)) {
      for (Path path : stream) {
        String name = path.getFileName().toString();
        if (name.startsWith(".") || !(name.endsWith(".yaml") || name.endsWith(".yml"))) {
          continue;
        }
        String kind = fileKind(path);
        if (kind == null) {
          files.add(path);
        } else {
          skipped.accept(new ManifestProblem(path, "file", "", kind + "; not read"));
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list manifest directory " + directory, e);
    }
    files.sort(null);
    return files;
  }

  /** Null for a regular file (through links), else what it is instead. */
  private static String fileKind(Path path) {
    try {
      BasicFileAttributes attributes = Files.readAttributes(path, BasicFileAttributes.class);
      if (attributes.isRegularFile()) {
        return null;
      }
      return attributes.isDirectory() ? "a directory" : "not a regular file (a FIFO, socket or device)";
    } catch (FileSystemException e) {
      String reason = e.getReason();
      return reason != null && reason.contains("symbolic links")
          ? "a symlink loop"
          : "not readable (" + (reason == null ? e.getClass().getSimpleName() : reason) + ")";
    } catch (IOException e) {
      return "not readable (" + e.getClass().getSimpleName() + ")";
    }
  }

  /** The file's text, or null when it is larger than {@link #MAX_FILE_BYTES}. */
  private static String readBounded(Path file) throws IOException {
    try (InputStream in = Files.newInputStream(file)) {
      byte[] bytes = in.readNBytes(MAX_FILE_BYTES + 1);
      return bytes.length > MAX_FILE_BYTES ? null : new String(bytes, StandardCharsets.UTF_8);
    }
  }

  /** The non-blank documents of {@code text}, split at document markers. */
  private static List<Document> documents(String text) {
    List<Document> documents = new ArrayList<>();
    List<String> lines = text.lines().toList();
    StringBuilder doc = new StringBuilder();
    int docLine = 1;
    for (int i = 0; i <= lines.size(); i++) {
      String line = i < lines.size() ? lines.get(i) : null;
      // The prefix tests spare the expressions for the ~30 lines of a document's body.
      boolean boundary =
          line == null
              || line.startsWith("---") && DOCUMENT_START.matcher(line).matches()
              || line.startsWith("...") && DOCUMENT_END.matcher(line).matches();
      if (!boundary) {
        doc.append(line).append('\n');
        continue;
      }
      String body = doc.toString();
      if (!body.isBlank()) {
        documents.add(new Document(
            "document " + (documents.size() + 1) + " (line " + docLine + ")", body));
      }
      doc.setLength(0);
      docLine = i + 2;
      if (line != null && line.startsWith("---") && line.length() > 3) {
        // Content after the marker on the same line belongs to the new document.
        doc.append(line.substring(3)).append('\n');
        docLine = i + 1;
      }
    }
    return documents;
  }

  private void readDocument(
      BoundedYaml yaml, Path file, String where, String text, Accumulator acc) {
    Object raw;
    try {
      raw = yaml.load(text);
    } catch (YAMLException e) {
      acc.problem(new ManifestProblem(file, where, "", "not valid YAML: " + firstLine(e)));
      return;
    } catch (BoundedYaml.LimitException e) {
      String object = e.object() == null ? where : e.object() + " in " + where;
      acc.problem(new ManifestProblem(file, object, "", "refused: " + e.getMessage()));
      return;
    } catch (StackOverflowError e) {
      // Not expected within the bounds; still one document must never stop the others.
      acc.problem(new ManifestProblem(file, where, "", "refused: nested too deeply to parse"));
      return;
    }
    if (raw == null) {
      return;
    }
    if (!(raw instanceof Map<?, ?> map)) {
      acc.problem(new ManifestProblem(file, where, "", "not a YAML mapping"));
      return;
    }
    readObject(file, where, map, acc);
  }

  private void readObject(Path file, String where, Map<?, ?> map, Accumulator acc) {
    Object kind = map.get("kind");
    Object apiVersion = map.get("apiVersion");
    if (!(kind instanceof String) || !(apiVersion instanceof String)) {
      acc.problem(new ManifestProblem(file, where, "kind", "apiVersion and kind must be set"));
      return;
    }
    String named =
        name(map) == null
            ? where + " (" + KubernetesNames.printable((String) kind) + ")"
            : kind + " " + KubernetesNames.printable(name(map)) + " in " + where;
    String expected = API_VERSIONS.get(kind);
    if (expected == null) {
      String meant = closeKind((String) kind);
      if (meant == null) {
        // Another kind (a Deployment beside its Service): not ours, ignored by rule.
        acc.ignored(file + ": " + where + ": " + KubernetesNames.printable(apiVersion + " " + kind));
      } else {
        acc.problem(new ManifestProblem(file, named, "kind",
            "'" + KubernetesNames.printable((String) kind) + "' is not a kind read here; did you mean "
                + meant + "?"));
      }
      return;
    }
    if (!expected.equals(apiVersion)) {
      acc.problem(new ManifestProblem(file, named, "apiVersion",
          "'" + KubernetesNames.printable((String) apiVersion) + "' is not read; " + kind
              + " must be " + expected));
      return;
    }
    switch ((String) kind) {
      case "List" -> readList(file, where, map, acc);
      case "Service" -> readService(file, where, namespaced(map), acc);
      case "EndpointSlice" -> readSlice(file, where, namespaced(map), acc);
      case "ServiceCIDR" -> readServiceCidr(file, where, map, acc);
      default -> readNode(file, where, map, acc);
    }
  }

  /** The kind read here that {@code kind} is a likely typo of (case or one edit), or null. */
  private static String closeKind(String kind) {
    for (String known : API_VERSIONS.keySet()) {
      if (known.equalsIgnoreCase(kind) || editDistance(known.toLowerCase(), kind.toLowerCase()) <= 1) {
        return known;
      }
    }
    return null;
  }

  private static int editDistance(String a, String b) {
    if (Math.abs(a.length() - b.length()) > 2 || b.length() > 64) {
      return Integer.MAX_VALUE;
    }
    int[] previous = new int[b.length() + 1];
    int[] current = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) {
      previous[j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      current[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int substitute = previous[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
        current[j] = Math.min(substitute, Math.min(previous[j], current[j - 1]) + 1);
      }
      int[] swap = previous;
      previous = current;
      current = swap;
    }
    return previous[b.length()];
  }

  private void readList(Path file, String where, Map<?, ?> list, Accumulator acc) {
    Object items = list.get("items");
    if (items == null) {
      return;
    }
    if (!(items instanceof List<?> entries)) {
      acc.problem(new ManifestProblem(file, where, "items", "must be a list"));
      return;
    }
    for (int i = 0; i < entries.size(); i++) {
      String item = where + " items[" + i + "]";
      if (entries.get(i) instanceof Map<?, ?> entry) {
        readObject(file, item, entry, acc);
      } else {
        acc.problem(new ManifestProblem(file, item, "", "not a YAML mapping"));
      }
    }
  }

  private void readService(Path file, String where, Map<?, ?> map, Accumulator acc) {
    read(file, where, map, "Service", namespacedId(map), V1Service.class,
        KubernetesConverter::service, s -> acc.service(file, where, s), a -> a.rejectedServices, acc);
  }

  private void readSlice(Path file, String where, Map<?, ?> map, Accumulator acc) {
    read(file, where, map, "EndpointSlice", namespacedId(map), V1EndpointSlice.class,
        slice -> KubernetesConverter.endpointSlice(slice, allowLoopbackEndpoints),
        s -> acc.slice(file, where, s), a -> a.rejectedSlices,
        acc);
  }

  private void readNode(Path file, String where, Map<?, ?> map, Accumulator acc) {
    read(file, where, map, "Node", name(map), V1Node.class,
        KubernetesConverter::node, n -> acc.node(file, where, n), a -> a.rejectedNodes, acc);
  }

  private void readServiceCidr(Path file, String where, Map<?, ?> map, Accumulator acc) {
    read(file, where, map, "ServiceCIDR", name(map), V1ServiceCIDR.class,
        KubernetesConverter::serviceCidr, c -> acc.serviceCidr(file, where, c),
        a -> a.rejectedServiceCidrs, acc);
  }

  /**
   * Binds {@code map} to {@code type}, converts it and hands the result to {@code accept}; any
   * failure becomes one problem about the object and, when {@code id} is known, a rejected id.
   */
  private <M, V, K> void read(
      Path file,
      String where,
      Map<?, ?> map,
      String kind,
      K id,
      Class<M> type,
      Function<M, V> convert,
      Consumer<V> accept,
      Function<Accumulator, ImmutableSet.Builder<K>> rejected,
      Accumulator acc) {
    String object = id == null ? kind + " in " + where : kind + " " + id;
    try {
      accept.accept(convert.apply(binding.bind(map, type)));
    } catch (RuntimeException | StackOverflowError e) {
      acc.rejected(problem(file, object, e), id, rejected);
    }
  }

  /** Turns a conversion or binding failure into one problem naming the field when known. */
  private static ManifestProblem problem(Path file, String object, Throwable e) {
    if (e instanceof StrictBinding.BadScalarException bad) {
      return new ManifestProblem(file, object, bad.field(), bad.problem());
    }
    if (e instanceof StackOverflowError) {
      return new ManifestProblem(file, object, "", "nested too deeply to read");
    }
    if (e instanceof InvalidObjectException invalid) {
      String message = invalid.getMessage();
      String prefix = invalid.object() + ": " + invalid.field() + ": ";
      String problem = message.startsWith(prefix) ? message.substring(prefix.length()) : message;
      return new ManifestProblem(file, invalid.object(), invalid.field(), problem);
    }
    // Binding errors (JsonParseException, IllegalArgumentException, ...) quote the field in
    // backquotes and append the whole document; anything else still must not stop the load.
    String message = firstLine(e);
    int json = message.indexOf(" JSON: ");
    if (json >= 0) {
      message = message.substring(0, json);
    }
    if (e.getCause() instanceof NumberFormatException cause) {
      // Gson reports neither the field nor the path of a non-numeric number field.
      message = "a numeric field holds a non-number (" + cause.getMessage() + ")";
    } else if (!(e instanceof JsonParseException || e instanceof IllegalArgumentException)) {
      message = e.getClass().getSimpleName() + ": " + message;
    }
    Matcher field = QUOTED_FIELD.matcher(message);
    return new ManifestProblem(file, object, field.find() ? field.group(1) : "", message);
  }

  private static Map<?, ?> namespaced(Map<?, ?> map) {
    if (!(map.get("metadata") instanceof Map<?, ?> metadata) || metadata.get("namespace") != null) {
      return map;
    }
    Map<Object, Object> withNamespace = new LinkedHashMap<>(metadata);
    withNamespace.put("namespace", DEFAULT_NAMESPACE);
    Map<Object, Object> copy = new LinkedHashMap<>(map);
    copy.put("metadata", withNamespace);
    return copy;
  }

  private static NamespacedName namespacedId(Map<?, ?> map) {
    String name = name(map);
    if (name == null || !(map.get("metadata") instanceof Map<?, ?> metadata)
        || !(metadata.get("namespace") instanceof String namespace) || namespace.isEmpty()) {
      return null;
    }
    return NamespacedName.of(namespace, name);
  }

  private static String name(Map<?, ?> map) {
    if (map.get("metadata") instanceof Map<?, ?> metadata
        && metadata.get("name") instanceof String name
        && !name.isEmpty()) {
      return name;
    }
    return null;
  }

  private static String firstLine(Throwable e) {
    String message = String.valueOf(e.getMessage()).strip();
    int newline = message.indexOf('\n');
    String line = newline < 0 ? message : message.substring(0, newline);
    return line.length() > MAX_MESSAGE ? line.substring(0, MAX_MESSAGE) + "..." : line;
  }

  /** Collects objects and problems; the first definition of an id wins, duplicates are problems. */
  /**
   * What the files hold. A recording one (a file read alone, on its own thread) only notes each
   * call, to be replayed on the real one in file order.
   */
  private static final class Accumulator {
    private final Map<NamespacedName, Service> services = new LinkedHashMap<>();
    private final Map<NamespacedName, EndpointSlice> slices = new LinkedHashMap<>();
    private final Map<String, Node> nodes = new LinkedHashMap<>();
    private final Map<String, ServiceCidr> serviceCidrs = new LinkedHashMap<>();
    private final Map<Object, String> origins = new LinkedHashMap<>();
    private final List<ManifestProblem> problems = new ArrayList<>();
    private final ImmutableSet.Builder<NamespacedName> rejectedServices = ImmutableSet.builder();
    private final ImmutableSet.Builder<NamespacedName> rejectedSlices = ImmutableSet.builder();
    private final ImmutableSet.Builder<String> rejectedNodes = ImmutableSet.builder();
    private final ImmutableSet.Builder<String> rejectedServiceCidrs = ImmutableSet.builder();
    private final List<String> ignored = new ArrayList<>();
    // Null on the real accumulator; the calls noted by a recording one.
    private final List<Consumer<Accumulator>> journal;

    Accumulator() {
      this(null);
    }

    private Accumulator(List<Consumer<Accumulator>> journal) {
      this.journal = journal;
    }

    static Accumulator recording() {
      return new Accumulator(new ArrayList<>());
    }

    /** Applies what this recording one noted to {@code target}, in order. */
    void replayInto(Accumulator target) {
      journal.forEach(call -> call.accept(target));
    }

    /** Notes {@code call} when recording; false when this one applies calls itself. */
    private boolean noted(Consumer<Accumulator> call) {
      if (journal == null) {
        return false;
      }
      journal.add(call);
      return true;
    }

    void problem(ManifestProblem problem) {
      if (!noted(a -> a.problem(problem))) {
        problems.add(problem);
      }
    }

    void ignored(String what) {
      if (!noted(a -> a.ignored(what))) {
        ignored.add(what);
      }
    }

    <K> void rejected(
        ManifestProblem problem, K id, Function<Accumulator, ImmutableSet.Builder<K>> set) {
      if (noted(a -> a.rejected(problem, id, set))) {
        return;
      }
      problems.add(problem);
      if (id != null) {
        set.apply(this).add(id);
      }
    }

    void service(Path file, String where, Service service) {
      if (noted(a -> a.service(file, where, service))) {
        return;
      }
      if (firstDefinition(file, where, "Service", service.id(), service.describe())) {
        services.put(service.id(), service);
      }
    }

    void slice(Path file, String where, EndpointSlice slice) {
      if (noted(a -> a.slice(file, where, slice))) {
        return;
      }
      if (firstDefinition(file, where, "EndpointSlice", slice.id(), slice.describe())) {
        slices.put(slice.id(), slice);
      }
    }

    void node(Path file, String where, Node node) {
      if (noted(a -> a.node(file, where, node))) {
        return;
      }
      if (firstDefinition(file, where, "Node", node.name(), "Node " + node.name())) {
        nodes.put(node.name(), node);
      }
    }

    void serviceCidr(Path file, String where, ServiceCidr cidr) {
      if (noted(a -> a.serviceCidr(file, where, cidr))) {
        return;
      }
      if (firstDefinition(file, where, "ServiceCIDR", cidr.name(), "ServiceCIDR " + cidr.name())) {
        serviceCidrs.put(cidr.name(), cidr);
      }
    }

    private boolean firstDefinition(
        Path file, String where, String kind, Object id, String object) {
      String origin = file + " " + where;
      String first = origins.putIfAbsent(List.of(kind, id), origin);
      if (first != null) {
        problems.add(
            new ManifestProblem(file, object, "metadata.name", "duplicate; first defined in " + first));
        return false;
      }
      return true;
    }

    ManifestSnapshot snapshot() {
      return new ManifestSnapshot(
          ImmutableMap.copyOf(services),
          ImmutableMap.copyOf(slices),
          ImmutableMap.copyOf(nodes),
          ImmutableList.copyOf(problems),
          rejectedServices.build(),
          rejectedSlices.build(),
          rejectedNodes.build(),
          ImmutableList.copyOf(ignored),
          ImmutableMap.copyOf(serviceCidrs),
          rejectedServiceCidrs.build());
    }
  }
}
