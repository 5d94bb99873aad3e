package io.flowreel.submission;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PackCatalogTest {

  @Test
  void loadsEveryPackFolderByName() {
    PackCatalog catalog = TinyPacks.catalog();
    assertThat(catalog.names()).containsExactly("tiny", "wan2.1-t2v-reduced");
    assertThat(catalog.defaultPack()).isEqualTo("tiny");
    assertThat(catalog.pack("tiny")).hasValueSatisfying(p -> assertThat(p.manifest().output()).isNotNull());
    assertThat(catalog.pack("huge")).isEmpty();
    assertThat(catalog.unknownPackProblem("huge")).isEqualTo("unknown pack 'huge'; known packs: tiny, wan2.1-t2v-reduced");
  }

  @Test
  void servedNamesKeepOnlyThosePacks() {
    PackCatalog catalog = PackCatalog.load(TinyPacks.MODELS, "tiny", java.util.Optional.of(java.util.List.of("tiny")));
    assertThat(catalog.names()).containsExactly("tiny");
    assertThat(catalog.unknownPackProblem("wan2.1-t2v-reduced"))
        .isEqualTo("unknown pack 'wan2.1-t2v-reduced'; known packs: tiny");
  }

  @Test
  void aDefaultPackThatIsNotThereIsRefused() {
    assertThatThrownBy(() -> PackCatalog.load(TinyPacks.MODELS, "huge"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("default pack 'huge' is not in")
        .hasMessageEndingWith("found: tiny, wan2.1-t2v-reduced");
  }

  @Test
  void aFolderWithoutPacksIsRefused(@TempDir Path dir) throws IOException {
    Files.createDirectories(dir.resolve("not-a-pack"));
    assertThatThrownBy(() -> PackCatalog.load(dir, "tiny"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("no model packs (folders with a pack.json) in");
  }
}
