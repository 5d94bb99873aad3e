package io.flowreel.text;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.flowreel.engine.OnnxRuntimeEngine;
import io.flowreel.pack.ModelPack;
import io.flowreel.testing.TinyPack;
import java.io.IOException;
import java.util.Map;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Java's tokenizers (DJL for tokenizer.json, ours for bytes) give the ids the pack was built with. */
class TokenizerParityTest {

  static Stream<JsonNode> prompts() throws IOException {
    ModelPack pack = TinyPack.get();
    JsonNode reference = new ObjectMapper().readTree(pack.file(pack.manifest().tokenReference()).toFile());
    return StreamSupport.stream(reference.get("prompts").spliterator(), false);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("prompts")
  void idsAndMasksMatchThePythonBuild(JsonNode prompt) {
    ModelPack pack = TinyPack.get();
    Map<String, long[][]> tokens =
        new TextEncoder(pack, OnnxRuntimeEngine.forPack(pack)).tokenize(prompt.get("text").asText());
    for (var encoder : pack.manifest().textEncoders()) {
      long[][] ids = tokens.get(encoder.name());
      assertThat(ids[0]).as("%s ids", encoder.name()).containsExactly(longs(prompt.at("/" + encoder.name() + "/input_ids")));
      assertThat(ids[1]).as("%s mask", encoder.name()).containsExactly(longs(prompt.at("/" + encoder.name() + "/attention_mask")));
    }
  }

  @Test
  void encodingGivesEveryDitTextInputWithZeroPadding() {
    ModelPack pack = TinyPack.get();
    TextConditioning text = new TextEncoder(pack, OnnxRuntimeEngine.forPack(pack)).encode("a red ball");
    assertThat(text.inputs()).containsOnlyKeys("clip_tokens", "clip_pooled", "byt5_tokens", "ul2_tokens");
    var clip = text.inputs().get("clip_tokens");
    assertThat(clip.shape()).containsExactly(1, 32, 64);
    // <bos> a red ball <eos>: five real tokens, then exact zeros
    for (int i = 5 * 64; i < clip.data().length; i++) {
      assertThat(clip.data()[i]).isZero();
    }
    assertThat(clip.data()[4 * 64]).isNotZero();
  }

  private static long[] longs(JsonNode array) {
    return StreamSupport.stream(array.spliterator(), false).mapToLong(JsonNode::asLong).toArray();
  }
}
