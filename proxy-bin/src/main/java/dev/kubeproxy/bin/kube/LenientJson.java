package dev.kubeproxy.bin.kube;

import com.google.gson.Gson;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.kubernetes.client.openapi.JSON;
import io.kubernetes.client.openapi.models.V1Status;
import io.kubernetes.client.util.Watch;
import java.lang.reflect.Type;
import java.time.LocalDate;
import java.time.OffsetDateTime;

/**
 * Decodes API server JSON into the official client's model classes without the client's
 * strict checks: its generated models reject any field they do not know (so a newer API
 * server would break every list) and a required array sent as {@code null} (which is how the
 * API server sends the {@code endpoints} of an empty EndpointSlice). One such object would
 * fail its whole list; here unknown fields are ignored and nulls stay null.
 */
final class LenientJson {
  // The client's Gson set-up minus the per-model strict adapters.
  private static final Gson GSON =
      JSON.createGson()
          .registerTypeAdapter(OffsetDateTime.class, new JSON.OffsetDateTimeTypeAdapter())
          .registerTypeAdapter(LocalDate.class, new JSON.LocalDateTypeAdapter())
          .registerTypeAdapter(byte[].class, new JSON.ByteArrayAdapter())
          .create();

  private LenientJson() {}

  static <T> T decode(String json, Class<T> type) {
    return GSON.fromJson(json, type);
  }

  /** One line of a watch stream; an ERROR event's object is a Status. */
  static <T> Watch.Response<T> watchEvent(String line, Type objectType) {
    JsonObject event = JsonParser.parseString(line).getAsJsonObject();
    String type = event.get("type").getAsString();
    JsonElement object = event.get("object");
    if ("ERROR".equals(type) || isStatus(object)) {
      return new Watch.Response<>(type, GSON.fromJson(object, V1Status.class));
    }
    return new Watch.Response<>(type, GSON.<T>fromJson(object, objectType));
  }

  private static boolean isStatus(JsonElement object) {
    if (object == null || !object.isJsonObject()) {
      return false;
    }
    JsonElement kind = object.getAsJsonObject().get("kind");
    return kind != null && kind.isJsonPrimitive() && "Status".equals(kind.getAsString());
  }
}
