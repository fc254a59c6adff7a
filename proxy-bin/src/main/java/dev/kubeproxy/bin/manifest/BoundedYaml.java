package dev.kubeproxy.bin.manifest;

import java.io.StringReader;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.Map;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeId;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;
import org.yaml.snakeyaml.nodes.Tag;
import org.yaml.snakeyaml.representer.Representer;
import org.yaml.snakeyaml.resolver.Resolver;

/**
 * Parses one YAML document within fixed bounds, so that no document can exhaust memory, stack
 * or time: its text, its nesting and — what SnakeYAML's alias count alone does not bound — the
 * size it has once every alias is expanded (which is what binding it to model objects does) are
 * limited, and a recursive alias is refused. The node graph is checked before any object is
 * built, so a refused bomb costs only its own parse.
 */
final class BoundedYaml {
  /** Characters of one document: room for the API server's 1.5 MiB object in verbose YAML. */
  static final int MAX_DOCUMENT_CHARS = 4 * 1024 * 1024;
  /** The same bound on the document as if every alias were written out. */
  static final long MAX_EXPANDED_CHARS = 4L * 1024 * 1024;
  /** What aliases may add: far more than sharing a few labels needs, far less than a bomb. */
  static final long MAX_ALIAS_CHARS = 1024 * 1024;
  /** Nodes aliases may add (each becomes an object when bound). */
  static final long MAX_ALIAS_NODES = 20_000;
  /** Nesting of mappings and sequences, also through aliases. */
  static final int MAX_DEPTH = 64;
  /** Aliases of collections per document. */
  static final int MAX_ALIASES = 100;
  // A nominal cost per node, so that empty scalars and collections still count.
  private static final int NODE_COST = 2;

  // One parser set-up reused for every document of a file: building a Yaml (its resolver, its
  // constructors) was ~10-20 us of the ~130 us a small document costs. Not thread-safe.
  private final StringTimestamps constructor;
  private final Yaml yaml;

  private BoundedYaml() {
    LoaderOptions options = new LoaderOptions();
    options.setAllowDuplicateKeys(false);
    options.setAllowRecursiveKeys(false);
    options.setMaxAliasesForCollections(MAX_ALIASES);
    options.setNestingDepthLimit(MAX_DEPTH);
    options.setCodePointLimit(MAX_DOCUMENT_CHARS + 1);
    constructor = new StringTimestamps(options);
    DumperOptions unused = new DumperOptions();
    yaml = new Yaml(constructor, new Representer(unused), unused, options, new CachingResolver());
  }

  /** A parser for the documents of one file, used by one thread at a time. */
  static BoundedYaml create() {
    return new BoundedYaml();
  }

  /** Thrown for a document past a bound; the message says which and what the bound is. */
  static final class LimitException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final String object;

    LimitException(String message) {
      this(message, null);
    }

    LimitException(String message, String object) {
      super(message);
      this.object = object;
    }

    /** {@code Kind namespace/name} as far as the refused document says, or null. */
    String object() {
      return object;
    }
  }

  /**
   * Parses {@code text}, or throws {@link YAMLException} for bad YAML and {@link LimitException}
   * for a document past a bound. Returns null for an empty document.
   */
  Object load(String text) {
    if (text.length() > MAX_DOCUMENT_CHARS) {
      throw new LimitException(
          "document of " + text.length() + " characters; at most " + MAX_DOCUMENT_CHARS);
    }
    Node root;
    try {
      root = yaml.compose(new StringReader(text));
    } catch (YAMLException e) {
      String message = String.valueOf(e.getMessage());
      if (message.contains("Nesting Depth exceeded")
          || message.contains("exceeds the limit")
          || message.contains("Number of aliases")) {
        throw new LimitException(message.strip().lines().findFirst().orElse(message));
      }
      throw e;
    }
    if (root == null) {
      return null;
    }
    try {
      if (text.indexOf('&') < 0) {
        // No anchor, so no alias: every node is met once and needs no memo.
        Expansion.measureTree(root, 1);
      } else {
        new Expansion().measure(root, 1);
      }
    } catch (LimitException e) {
      throw new LimitException(e.getMessage(), identify(root));
    }
    return constructor.construct(root);
  }

  /**
   * {@code Kind namespace/name} read from the plain scalars of a document's node graph without
   * building it, so that a refused document is still named; null when it does not say.
   */
  private static String identify(Node root) {
    String kind = scalar(root, "kind");
    Node metadata = child(root, "metadata");
    String name = scalar(metadata, "name");
    if (kind == null || name == null) {
      return null;
    }
    String namespace = scalar(metadata, "namespace");
    String id = "Node".equals(kind) || "List".equals(kind)
        ? name : (namespace == null ? "default" : namespace) + "/" + name;
    return dev.kubeproxy.api.KubernetesNames.printable(kind + " " + id);
  }

  private static Node child(Node node, String key) {
    if (node instanceof MappingNode mapping) {
      for (NodeTuple tuple : mapping.getValue()) {
        if (tuple.getKeyNode() instanceof ScalarNode k && key.equals(k.getValue())) {
          return tuple.getValueNode();
        }
      }
    }
    return null;
  }

  private static String scalar(Node node, String key) {
    return child(node, key) instanceof ScalarNode value ? value.getValue() : null;
  }

  /** Measures the expanded size and depth of a node graph, each shared node once. */
  private static final class Expansion {
    // Per node already measured: expanded size, height (levels below it) and node count.
    private final Map<Node, long[]> measured = new IdentityHashMap<>();
    private final Map<Node, Boolean> inProgress = new IdentityHashMap<>();
    private long aliasChars;
    private long aliasNodes;

    /** The expanded size of {@code node} met at {@code depth}; its height is recorded. */
    long measure(Node node, int depth) {
      long[] known = measured.get(node);
      if (known != null) {
        // Shared through an alias: counts again in full, at the depth of this use.
        checkDepth(depth + known[1]);
        aliasChars += known[0];
        aliasNodes += known[2];
        if (aliasChars > MAX_ALIAS_CHARS || aliasNodes > MAX_ALIAS_NODES) {
          throw new LimitException("aliases expand to more than " + MAX_ALIAS_NODES
              + " nodes or " + MAX_ALIAS_CHARS + " characters");
        }
        return known[0];
      }
      checkDepth(depth);
      if (inProgress.put(node, Boolean.TRUE) != null) {
        throw new LimitException("recursive alias at line " + line(node) + ": it contains itself");
      }
      long size = NODE_COST;
      long height = 0;
      long nodes = 1;
      if (node instanceof ScalarNode scalar) {
        size = add(size, scalar.getValue().length());
      } else if (node instanceof SequenceNode sequence) {
        for (Node child : sequence.getValue()) {
          size = add(size, measure(child, depth + 1));
          height = Math.max(height, 1 + measured.get(child)[1]);
          nodes += measured.get(child)[2];
        }
      } else if (node instanceof MappingNode mapping) {
        for (NodeTuple tuple : mapping.getValue()) {
          size = add(size, measure(tuple.getKeyNode(), depth + 1));
          size = add(size, measure(tuple.getValueNode(), depth + 1));
          height = Math.max(height, 1 + measured.get(tuple.getValueNode())[1]);
          nodes += measured.get(tuple.getKeyNode())[2] + measured.get(tuple.getValueNode())[2];
        }
      }
      inProgress.remove(node);
      measured.put(node, new long[] {size, height, nodes});
      return size;
    }

    /**
     * As {@link #measure} for a graph where no node is shared (a document without anchors):
     * the same sizes, checks and messages, without the per-node memo.
     */
    static long measureTree(Node node, int depth) {
      checkDepth(depth);
      long size = NODE_COST;
      if (node instanceof ScalarNode scalar) {
        size = add(size, scalar.getValue().length());
      } else if (node instanceof SequenceNode sequence) {
        for (Node child : sequence.getValue()) {
          size = add(size, measureTree(child, depth + 1));
        }
      } else if (node instanceof MappingNode mapping) {
        for (NodeTuple tuple : mapping.getValue()) {
          size = add(size, measureTree(tuple.getKeyNode(), depth + 1));
          size = add(size, measureTree(tuple.getValueNode(), depth + 1));
        }
      }
      return size;
    }

    private static void checkDepth(long depth) {
      if (depth > MAX_DEPTH) {
        throw new LimitException("nesting deeper than " + MAX_DEPTH + " (aliases included)");
      }
    }

    private static long add(long a, long b) {
      long sum = a + b;
      if (sum > MAX_EXPANDED_CHARS) {
        throw new LimitException(
            "aliases expand the document past " + MAX_EXPANDED_CHARS + " characters");
      }
      return sum;
    }

    private static int line(Node node) {
      return node.getStartMark() == null ? 0 : node.getStartMark().getLine() + 1;
    }
  }

  /**
   * SnakeYAML's resolver remembering the tag of each plain scalar it has resolved: a file's
   * keys and common values ({@code port}, {@code TCP}, {@code true}) repeat in every document,
   * and resolving one runs up to three regular expressions. Resolution depends only on the
   * text, so the answer is the same; the memory is bounded.
   */
  private static final class CachingResolver extends Resolver {
    private static final int MAX_REMEMBERED = 4096;
    private final Map<String, Tag> plainScalars = new HashMap<>();

    @Override
    public Tag resolve(NodeId kind, String value, boolean implicit) {
      if (kind != NodeId.scalar || !implicit) {
        return super.resolve(kind, value, implicit);
      }
      Tag tag = plainScalars.get(value);
      if (tag == null) {
        tag = super.resolve(kind, value, implicit);
        if (plainScalars.size() < MAX_REMEMBERED) {
          plainScalars.put(value, tag);
        }
      }
      return tag;
    }
  }

  /** SnakeYAML's safe constructor keeping timestamps as strings, as JSON (and the client) do. */
  private static final class StringTimestamps extends SafeConstructor {
    StringTimestamps(LoaderOptions options) {
      super(options);
      yamlConstructors.put(Tag.TIMESTAMP, new ConstructYamlStr());
    }

    Object construct(Node root) {
      return constructDocument(root);
    }
  }
}
