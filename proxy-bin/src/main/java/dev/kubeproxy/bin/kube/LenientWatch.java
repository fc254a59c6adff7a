package dev.kubeproxy.bin.kube;

import io.kubernetes.client.util.Watch;
import io.kubernetes.client.util.Watchable;
import java.io.IOException;
import java.lang.reflect.Type;
import java.util.Iterator;
import okhttp3.Call;
import okhttp3.ResponseBody;

/**
 * A watch stream decoded with {@link LenientJson}; otherwise behaves as the client's own
 * {@code Watch}, including its exception messages, which the client's reflector inspects.
 */
final class LenientWatch<T> implements Watchable<T> {
  private final Call call;
  private final ResponseBody body;
  private final Type objectType;
  private final DecodeProblems problems;

  LenientWatch(Call call, ResponseBody body, Type objectType, DecodeProblems problems) {
    this.call = call;
    this.body = body;
    this.objectType = objectType;
    this.problems = problems;
  }

  @Override
  public boolean hasNext() {
    try {
      return !body.source().exhausted();
    } catch (IOException e) {
      // The reflector treats exactly this message as a dropped watch and relists.
      throw new RuntimeException("IO Exception during hasNext method.", e);
    }
  }

  @Override
  public Watch.Response<T> next() {
    try {
      String line = body.source().readUtf8Line();
      if (line == null) {
        throw new RuntimeException("Null response from the server.");
      }
      return LenientJson.watchEvent(line, objectType, problems);
    } catch (IOException e) {
      throw new RuntimeException("IO Exception during next method.", e);
    }
  }

  @Override
  public Iterator<Watch.Response<T>> iterator() {
    return this;
  }

  @Override
  public void close() {
    call.cancel();
    body.close();
  }
}
