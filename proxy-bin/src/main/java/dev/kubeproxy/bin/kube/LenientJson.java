package dev.kubeproxy.bin.kube;

import com.google.gson.Gson;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import dev.kubeproxy.api.KubernetesNames;
import dev.kubeproxy.bin.manifest.StrictBinding;
import io.kubernetes.client.common.KubernetesListObject;
import io.kubernetes.client.openapi.JSON;
import io.kubernetes.client.openapi.models.V1ListMeta;
import io.kubernetes.client.openapi.models.V1Status;
import io.kubernetes.client.util.Watch;
import java.io.IOException;
import java.io.Reader;
import java.lang.reflect.Type;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;

/**
 * Decodes API server JSON into the official client's model classes without the client's
 * strict checks: its generated models reject any field they do not know (so a newer API
 * server would break every list) and a required array sent as {@code null} (which is how the
 * API server sends the {@code endpoints} of an empty EndpointSlice). Scalars follow the
 * manifest path's {@link StrictBinding} rules (no wraparound, truncation or quoted numbers).
 * Decoding is per object: an object with a bad field becomes a shell holding only its identity,
 * recorded in {@link DecodeProblems}, so one bad object never fails its list or its watch.
 */
final class LenientJson {
  private static final int MAX_PROBLEM = 300;
  // The client's Gson set-up minus the per-model strict adapters, plus strict scalars.
  private static final Gson GSON =
      StrictBinding.withStrictScalars(JSON.createGson())
          .registerTypeAdapter(OffsetDateTime.class, new JSON.OffsetDateTimeTypeAdapter())
          .registerTypeAdapter(LocalDate.class, new JSON.LocalDateTypeAdapter())
          .registerTypeAdapter(byte[].class, new JSON.ByteArrayAdapter())
          .create();

  private LenientJson() {}

  /** One page of a list: its metadata and its items, each decoded on its own. */
  record Page<T>(V1ListMeta metadata, List<T> items) {}

  /**
   * Reads a list response from {@code json} item by item (the body is never held whole),
   * decoding each item as {@link #object} does.
   */
  static <T> Page<T> page(Reader json, Class<T> type, DecodeProblems problems) throws IOException {
    JsonReader in = new JsonReader(json);
    V1ListMeta metadata = null;
    List<T> items = new ArrayList<>();
    in.beginObject();
    while (in.hasNext()) {
      String name = in.nextName();
      if (name.equals("metadata") && in.peek() != JsonToken.NULL) {
        metadata = GSON.fromJson(in, V1ListMeta.class);
      } else if (name.equals("items") && in.peek() != JsonToken.NULL) {
        in.beginArray();
        while (in.hasNext()) {
          items.add(object(JsonParser.parseReader(in), type, problems));
        }
        in.endArray();
      } else {
        in.skipValue();
      }
    }
    in.endObject();
    return new Page<>(metadata == null ? new V1ListMeta() : metadata, items);
  }

  /** The client's list type {@code listType} holding {@code items} at {@code resourceVersion}. */
  @SuppressWarnings("unchecked")
  static <L extends KubernetesListObject, T> L list(Class<L> listType, String resourceVersion, List<T> items) {
    JsonObject envelope = new JsonObject();
    JsonObject meta = new JsonObject();
    meta.addProperty("resourceVersion", resourceVersion);
    envelope.add("metadata", meta);
    envelope.add("items", new JsonArray());
    L list = GSON.fromJson(envelope, listType);
    ((List<T>) list.getItems()).addAll(items);
    return list;
  }

  /**
   * Decodes one object; if a field cannot be decoded, returns a shell of {@code type} holding
   * only the object's kind, apiVersion and identity metadata, recorded in {@code problems}.
   */
  static <T> T object(JsonElement json, Type type, DecodeProblems problems) {
    try {
      return GSON.fromJson(json, type);
    } catch (RuntimeException e) {
      // Gson's syntax and type errors, the strict scalars, a malformed timestamp: one object.
      T shell = GSON.fromJson(identity(json), type);
      problems.record(shell, KubernetesNames.oneLine(problem(e), MAX_PROBLEM));
      return shell;
    }
  }

  /** One line of a watch stream; an ERROR event's object is a Status. */
  static <T> Watch.Response<T> watchEvent(String line, Type objectType, DecodeProblems problems) {
    JsonObject event = JsonParser.parseString(line).getAsJsonObject();
    String type = event.get("type").getAsString();
    JsonElement object = event.get("object");
    if ("ERROR".equals(type) || isStatus(object)) {
      return new Watch.Response<>(type, GSON.fromJson(object, V1Status.class));
    }
    return new Watch.Response<>(type, LenientJson.<T>object(object, objectType, problems));
  }

  /** {@code field: problem} for a strict-scalar refusal, else Gson's first line. */
  private static String problem(RuntimeException e) {
    if (e instanceof StrictBinding.BadScalarException bad) {
      return bad.field() + ": " + bad.problem();
    }
    Throwable cause = e.getCause() != null && e.getMessage() == null ? e.getCause() : e;
    String message = String.valueOf(cause.getMessage());
    int newline = message.indexOf('\n');
    return newline < 0 ? message : message.substring(0, newline);
  }

  /** The object's kind, apiVersion and metadata identity strings: all a shell keeps. */
  private static JsonObject identity(JsonElement json) {
    JsonObject shell = new JsonObject();
    if (json == null || !json.isJsonObject()) {
      return shell;
    }
    JsonObject object = json.getAsJsonObject();
    copyString(object, shell, "kind");
    copyString(object, shell, "apiVersion");
    JsonElement meta = object.get("metadata");
    if (meta != null && meta.isJsonObject()) {
      JsonObject identity = new JsonObject();
      for (String field : List.of("namespace", "name", "uid", "resourceVersion")) {
        copyString(meta.getAsJsonObject(), identity, field);
      }
      shell.add("metadata", identity);
    }
    return shell;
  }

  private static void copyString(JsonObject from, JsonObject to, String field) {
    JsonElement value = from.get(field);
    if (value != null && value.isJsonPrimitive() && value.getAsJsonPrimitive().isString()) {
      to.add(field, value);
    }
  }

  private static boolean isStatus(JsonElement object) {
    if (object == null || !object.isJsonObject()) {
      return false;
    }
    JsonElement kind = object.getAsJsonObject().get("kind");
    return kind != null && kind.isJsonPrimitive() && "Status".equals(kind.getAsString());
  }
}
