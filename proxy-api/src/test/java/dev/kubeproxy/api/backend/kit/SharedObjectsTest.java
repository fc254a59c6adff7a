package dev.kubeproxy.api.backend.kit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kubeproxy.api.backend.kit.SharedObjects.Change;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class SharedObjectsTest {
  private static final SharedObjects<String, String, String> NONE = SharedObjects.empty();

  @Test
  @DisplayName("an object two keys claim is added once and deleted only when the last claimant releases it")
  void referenceCounted() {
    var added = NONE.edit().claim("a", "sep", "x").claim("b", "sep", "x").finish();
    assertThat(added.changes()).containsExactly(new Change<>("sep", null, "x"));

    var oneLeft = added.objects().edit().release("a", "sep").finish();
    assertThat(oneLeft.changes()).isEmpty();
    assertThat(oneLeft.objects().value("sep")).isEqualTo("x");

    var gone = oneLeft.objects().edit().release("b", "sep").finish();
    assertThat(gone.changes()).containsExactly(new Change<>("sep", "x", null));
    assertThat(gone.objects().size()).isZero();
  }

  @Test
  @DisplayName("when two keys want different values the smallest key wins, whatever the order of claims")
  void smallestClaimantWins() {
    var ab = NONE.edit().claim("a", "id", "from-a").claim("b", "id", "from-b").finish();
    var ba = NONE.edit().claim("b", "id", "from-b").claim("a", "id", "from-a").finish();
    assertThat(ab.objects().value("id")).isEqualTo("from-a");
    assertThat(ba.objects().value("id")).isEqualTo("from-a");

    var aLeaves = ab.objects().edit().release("a", "id").finish();
    assertThat(aLeaves.changes()).containsExactly(new Change<>("id", "from-a", "from-b"));
    assertThat(aLeaves.changes().get(0).removesOrReplaces()).isTrue();
    assertThat(aLeaves.changes().get(0).adds()).isTrue();
  }

  @Test
  @DisplayName("replace releases what a key dropped, claims what it gained, and leaves the rest alone")
  void replaceDiffsOneKey() {
    var before = NONE.edit().replace("k", Map.of(), Map.of("keep", "1", "drop", "2", "change", "3"))
        .finish().objects();
    var edit = before.edit().replace("k",
        Map.of("keep", "1", "drop", "2", "change", "3"),
        Map.of("keep", "1", "change", "4", "new", "5")).finish();
    assertThat(edit.changes()).containsExactlyInAnyOrder(
        new Change<>("drop", "2", null),
        new Change<>("change", "3", "4"),
        new Change<>("new", null, "5"));
    // The state before the edit is unchanged: edits share structure, never mutate.
    assertThat(before.value("drop")).isEqualTo("2");
    assertThat(edit.objects().value("drop")).isNull();
  }

  @Test
  @DisplayName("a single claimant's value changes in place, a second claimant joins it, and each leaves in turn")
  void singleClaimantGrowsAndShrinks() {
    var one = NONE.edit().claim("b", "id", "v1").finish();
    var changed = one.objects().edit().claim("b", "id", "v2").finish();
    assertThat(changed.changes()).containsExactly(new Change<>("id", "v1", "v2"));
    assertThat(changed.objects().claimants("id")).containsExactly(Map.entry("b", "v2"));

    var joined = changed.objects().edit().claim("a", "id", "from-a").finish();
    assertThat(joined.changes()).containsExactly(new Change<>("id", "v2", "from-a"));
    assertThat(joined.objects().claimants("id"))
        .containsExactly(Map.entry("a", "from-a"), Map.entry("b", "v2"));

    var bLeft = joined.objects().edit().release("b", "id").finish();
    assertThat(bLeft.changes()).isEmpty();
    assertThat(bLeft.objects().claimants("id")).containsExactly(Map.entry("a", "from-a"));
    var aLeft = bLeft.objects().edit().release("a", "id").finish();
    assertThat(aLeft.changes()).containsExactly(new Change<>("id", "from-a", null));
    assertThat(aLeft.objects().size()).isZero();
    // Releasing a key that never claimed leaves the single claimant alone.
    var stranger = one.objects().edit().release("z", "id").finish();
    assertThat(stranger.changes()).isEmpty();
    assertThat(stranger.objects().value("id")).isEqualTo("v1");
  }
}
