package dev.kubeproxy.bin.manifest;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import com.google.gson.JsonSyntaxException;
import com.google.gson.TypeAdapter;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import com.google.gson.stream.JsonWriter;
import io.kubernetes.client.gson.V1MetadataExclusionStrategy;
import io.kubernetes.client.openapi.JSON;
import java.io.IOException;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.math.BigInteger;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * Binds a raw manifest document to the official client's model classes with the API server's
 * scalar rules: integer fields take only ASCII integer literals within their range (no
 * wraparound, no truncation of {@code 81.9}, no quoted numbers) and boolean fields take only
 * {@code true}/{@code false} (not {@code "no"}). A refusal names the field's path in the document.
 */
public final class StrictBinding {
  private static final Pattern INTEGER = Pattern.compile("-?[0-9]+");
  private static final BigInteger INT_MIN = BigInteger.valueOf(Integer.MIN_VALUE);
  private static final BigInteger INT_MAX = BigInteger.valueOf(Integer.MAX_VALUE);
  private static final BigInteger LONG_MIN = BigInteger.valueOf(Long.MIN_VALUE);
  private static final BigInteger LONG_MAX = BigInteger.valueOf(Long.MAX_VALUE);

  private final Gson raw = new Gson();
  private final Gson strict = direct();
  // Each model class's generated validateJsonElement (required fields, unknown fields, kinds).
  private final Map<Class<?>, MethodHandle> validators = new ConcurrentHashMap<>();

  /**
   * The client's Gson without its per-model adapters: those re-read every nested object from a
   * JSON tree of its own (a new reader each, ~25 per EndpointSlice) and validate it again,
   * though the top object's validation already walked the whole tree. Binding is then plain
   * reflection over the same {@code @SerializedName} fields, with the client's own adapters
   * for dates and bytes, its exclusion of {@code managedFields} and the strict scalars.
   */
  private static Gson direct() {
    Gson client = JSON.getGson();
    GsonBuilder builder =
        new GsonBuilder().setExclusionStrategies(new V1MetadataExclusionStrategy());
    for (Class<?> type : List.of(java.util.Date.class, java.sql.Date.class,
        java.time.OffsetDateTime.class, java.time.LocalDate.class, byte[].class)) {
      builder.registerTypeAdapter(type, client.getAdapter(type));
    }
    return withStrictScalars(builder).create();
  }

  /**
   * Registers the strict integer and boolean rules on {@code builder}, so that the API mode's
   * JSON decoding refuses what the manifest path refuses, in the same words.
   */
  public static GsonBuilder withStrictScalars(GsonBuilder builder) {
    return builder
        .registerTypeAdapter(Integer.class, new IntegerAdapter(INT_MIN, INT_MAX, "32-bit"))
        .registerTypeAdapter(int.class, new IntegerAdapter(INT_MIN, INT_MAX, "32-bit"))
        .registerTypeAdapter(Long.class, new IntegerAdapter(LONG_MIN, LONG_MAX, "64-bit"))
        .registerTypeAdapter(long.class, new IntegerAdapter(LONG_MIN, LONG_MAX, "64-bit"))
        .registerTypeAdapter(Boolean.class, new BooleanAdapter())
        .registerTypeAdapter(boolean.class, new BooleanAdapter());
  }

  /** Binds {@code document} to {@code type}; a bad scalar throws {@link BadScalarException}. */
  <T> T bind(Map<?, ?> document, Class<T> type) {
    JsonElement json;
    try {
      json = tree(document);
    } catch (NonFiniteException e) {
      throw new BadScalarException("", "", "a number beyond any range", nonFinite(document, ""));
    }
    validate(json, type);
    try {
      return strict.fromJson(json, type);
    } catch (BadScalarException e) {
      throw e.locatedIn(document);
    }
  }

  /**
   * Runs {@code type}'s generated {@code validateJsonElement} on the whole tree (it recurses
   * into nested objects), failing as the client's adapter would inside {@code Gson.fromJson}.
   */
  private void validate(JsonElement json, Class<?> type) {
    MethodHandle validator = validators.computeIfAbsent(type, StrictBinding::validator);
    try {
      validator.invokeExact(json);
    } catch (IOException | IllegalStateException e) {
      throw new JsonSyntaxException(e);
    } catch (RuntimeException | Error e) {
      throw e;
    } catch (Throwable e) {
      throw new IllegalStateException(e);
    }
  }

  private static MethodHandle validator(Class<?> type) {
    try {
      return MethodHandles.publicLookup().findStatic(type, "validateJsonElement",
          MethodType.methodType(void.class, JsonElement.class));
    } catch (ReflectiveOperationException e) {
      throw new IllegalArgumentException(type + " has no validateJsonElement", e);
    }
  }

  /**
   * The JSON tree Gson's {@code toJsonTree} makes of a parsed YAML value (map keys as {@code
   * String.valueOf}, null map values left out), built in one pass without Gson's per-value
   * adapter look-ups; throws {@link NonFiniteException} at an infinite or NaN number.
   */
  private JsonElement tree(Object node) {
    if (node instanceof String string) {
      return new JsonPrimitive(string);
    }
    if (node instanceof Map<?, ?> map) {
      JsonObject object = new JsonObject();
      for (Map.Entry<?, ?> e : map.entrySet()) {
        if (e.getValue() != null) {
          object.add(String.valueOf(e.getKey()), tree(e.getValue()));
        }
      }
      return object;
    }
    if (node instanceof List<?> list) {
      JsonArray array = new JsonArray(list.size());
      for (Object item : list) {
        array.add(tree(item));
      }
      return array;
    }
    if (node == null) {
      return JsonNull.INSTANCE;
    }
    if (node instanceof Double d && !Double.isFinite(d) || node instanceof Float f && !Float.isFinite(f)) {
      throw new NonFiniteException();
    }
    if (node instanceof Number number) {
      return new JsonPrimitive(number);
    }
    if (node instanceof Boolean bool) {
      return new JsonPrimitive(bool);
    }
    // Anything else SnakeYAML's safe constructor makes (binary, sets): as Gson writes it.
    return raw.toJsonTree(node);
  }

  /** An infinite or NaN number met while building the tree; located by {@link #nonFinite}. */
  private static final class NonFiniteException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    NonFiniteException() {
      super(null, null, false, false);
    }
  }

  /** A scalar of the wrong kind or range; {@link #field()} is its path once located. */
  public static final class BadScalarException extends com.google.gson.JsonParseException {
    private static final long serialVersionUID = 1L;
    private final String key;
    private final Object value;
    private final String problem;
    private final String field;

    BadScalarException(String key, Object value, String problem, String field) {
      super((field.isEmpty() ? key : field) + ": " + problem);
      this.key = key;
      this.value = value;
      this.problem = problem;
      this.field = field;
    }

    /** The field's path, e.g. {@code spec.ports[0].port}, or its key alone when not located. */
    public String field() {
      return field.isEmpty() ? key : field;
    }

    public String problem() {
      return problem;
    }

    /**
     * The same refusal with the full path of the first field of {@code document} with this key
     * and value (the client's nested adapters lose the path above each model object).
     */
    BadScalarException locatedIn(Map<?, ?> document) {
      String path = find(document, "");
      return path == null ? this : new BadScalarException(key, value, problem, path);
    }

    private String find(Object node, String path) {
      if (node instanceof Map<?, ?> map) {
        for (Map.Entry<?, ?> e : map.entrySet()) {
          String child = path.isEmpty() ? String.valueOf(e.getKey()) : path + "." + e.getKey();
          if (String.valueOf(e.getKey()).equals(key) && matches(e.getValue())) {
            return child;
          }
          String found = find(e.getValue(), child);
          if (found != null) {
            return found;
          }
        }
      } else if (node instanceof List<?> list) {
        for (int i = 0; i < list.size(); i++) {
          String found = find(list.get(i), path + "[" + i + "]");
          if (found != null) {
            return found;
          }
        }
      }
      return null;
    }

    private boolean matches(Object leaf) {
      return leaf != null && String.valueOf(leaf).equals(String.valueOf(value));
    }
  }

  /** The path of the first infinite or NaN number (YAML's {@code .inf}, {@code 1e400}), or null. */
  private static String nonFinite(Object node, String path) {
    if (node instanceof Double d && !Double.isFinite(d) || node instanceof Float f && !Float.isFinite(f)) {
      return path;
    }
    if (node instanceof Map<?, ?> map) {
      for (Map.Entry<?, ?> e : map.entrySet()) {
        String found =
            nonFinite(e.getValue(), path.isEmpty() ? String.valueOf(e.getKey()) : path + "." + e.getKey());
        if (found != null) {
          return found;
        }
      }
    } else if (node instanceof List<?> list) {
      for (int i = 0; i < list.size(); i++) {
        String found = nonFinite(list.get(i), path + "[" + i + "]");
        if (found != null) {
          return found;
        }
      }
    }
    return null;
  }

  /**
   * The reader's path without its {@code $.}: the whole path when one reader reads the whole
   * object (the API mode's decoding), a path within the nested model object otherwise.
   */
  private static String path(JsonReader in) {
    String path = in.getPreviousPath();
    return path.startsWith("$.") ? path.substring(2) : path;
  }

  /** The last key of a Gson path such as {@code $.ports[0].port}. */
  private static String key(JsonReader in) {
    String path = in.getPreviousPath();
    int dot = path.lastIndexOf('.');
    String last = dot < 0 ? path : path.substring(dot + 1);
    int bracket = last.indexOf('[');
    return bracket < 0 ? last : last.substring(0, bracket);
  }

  private static final class IntegerAdapter extends TypeAdapter<Number> {
    private final BigInteger min;
    private final BigInteger max;
    private final String width;

    IntegerAdapter(BigInteger min, BigInteger max, String width) {
      this.min = min;
      this.max = max;
      this.width = width;
    }

    @Override
    public Number read(JsonReader in) throws IOException {
      JsonToken token = in.peek();
      if (token == JsonToken.NULL) {
        in.nextNull();
        return null;
      }
      if (token != JsonToken.NUMBER) {
        Object value = token == JsonToken.STRING ? in.nextString() : skip(in, token);
        throw new BadScalarException(
            key(in), value, "must be an integer, not " + describe(token, value), path(in));
      }
      String literal = in.nextString();
      if (!INTEGER.matcher(literal).matches()) {
        throw new BadScalarException(key(in), literal, literal + " is not an integer", path(in));
      }
      BigInteger value = new BigInteger(literal);
      if (value.compareTo(min) < 0 || value.compareTo(max) > 0) {
        throw new BadScalarException(
            key(in), literal, literal + " does not fit a " + width + " integer", path(in));
      }
      return max.equals(INT_MAX) ? (Number) value.intValue() : (Number) value.longValue();
    }

    @Override
    public void write(JsonWriter out, Number value) throws IOException {
      out.value(value);
    }
  }

  private static final class BooleanAdapter extends TypeAdapter<Boolean> {
    @Override
    public Boolean read(JsonReader in) throws IOException {
      JsonToken token = in.peek();
      if (token == JsonToken.NULL) {
        in.nextNull();
        return null;
      }
      if (token != JsonToken.BOOLEAN) {
        Object value = token == JsonToken.STRING || token == JsonToken.NUMBER
            ? in.nextString() : skip(in, token);
        throw new BadScalarException(
            key(in), value, "must be true or false, not " + describe(token, value), path(in));
      }
      return in.nextBoolean();
    }

    @Override
    public void write(JsonWriter out, Boolean value) throws IOException {
      out.value(value);
    }
  }

  private static Object skip(JsonReader in, JsonToken token) throws IOException {
    in.skipValue();
    return token.name().toLowerCase(java.util.Locale.ROOT);
  }

  private static String describe(JsonToken token, Object value) {
    return switch (token) {
      case STRING -> "the string '" + value + "'";
      case NUMBER -> "the number " + value;
      case BOOLEAN -> "a boolean";
      default -> "a " + value;
    };
  }
}
