package io.flowreel.text;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.flowreel.engine.OnnxRuntimeEngine;
import io.flowreel.pack.ModelPack;
import io.flowreel.testing.TinyPack;
import io.flowreel.testing.WanPack;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Java's tokenizers (DJL for tokenizer.json, ours for bytes, with the Wan2.1 prompt cleaning where
 * the pack asks for it) give the ids the pack was built with, for the tiny and the reduced Wan pack.
 */
class TokenizerParityTest {

  record Prompt(ModelPack pack, JsonNode prompt) {
    @Override
    public String toString() {
      return pack.name() + ": " + prompt.get("text").asText();
    }
  }

  static Stream<Prompt> prompts() throws IOException {
    List<Prompt> prompts = new ArrayList<>();
    for (ModelPack pack : List.of(TinyPack.get(), WanPack.get())) {
      JsonNode reference = new ObjectMapper().readTree(pack.file(pack.manifest().tokenReference()).toFile());
      reference.get("prompts").forEach(p -> prompts.add(new Prompt(pack, p)));
    }
    return prompts.stream();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("prompts")
  void idsAndMasksMatchThePythonBuild(Prompt p) {
    ModelPack pack = p.pack();
    JsonNode prompt = p.prompt();
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
