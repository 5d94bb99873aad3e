package io.flowreel.text;

import static io.flowreel.pack.NetworkIo.ATTENTION_MASK;
import static io.flowreel.pack.NetworkIo.INPUT_IDS;
import static io.flowreel.pack.NetworkIo.POOLED;
import static io.flowreel.pack.NetworkIo.TOKENS;
import static io.flowreel.pack.NetworkIo.ditTextInput;

import io.flowreel.engine.InferenceEngine;
import io.flowreel.pack.ModelPack;
import io.flowreel.pack.PackManifest.TextEncoderSpec;
import io.flowreel.tensor.FloatTensor;
import io.flowreel.tensor.LongTensor;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Runs every text encoder of a pack on a prompt (MovieGen: CLIP-like, ByT5-like, UL2-like). */
public final class TextEncoder {

  private final InferenceEngine engine;
  private final List<TextEncoderSpec> encoders;
  private final List<PromptTokenizer> tokenizers;

  public TextEncoder(ModelPack pack, InferenceEngine engine) {
    this.engine = engine;
    this.encoders = pack.manifest().textEncoders();
    this.tokenizers = encoders.stream().map(e -> PromptTokenizer.forEncoder(pack, e)).toList();
  }

  /** Token ids and mask per encoder, as fed to the networks: for inspection and parity tests. */
  public Map<String, long[][]> tokenize(String prompt) {
    Map<String, long[][]> out = new LinkedHashMap<>();
    for (int i = 0; i < encoders.size(); i++) {
      out.put(encoders.get(i).name(), PromptTokenizer.padded(tokenizers.get(i).encode(prompt),
          encoders.get(i).maxLength()));
    }
    return out;
  }

  public TextConditioning encode(String prompt) {
    Map<String, FloatTensor> inputs = new LinkedHashMap<>();
    Map<String, long[][]> tokens = tokenize(prompt);
    for (TextEncoderSpec encoder : encoders) {
      long[][] idsAndMask = tokens.get(encoder.name());
      int[] shape = {1, encoder.maxLength()};
      Map<String, FloatTensor> out = engine.network(encoder.network()).run(Map.of(
          INPUT_IDS, new LongTensor(shape, idsAndMask[0]),
          ATTENTION_MASK, new LongTensor(shape, idsAndMask[1])));
      inputs.put(ditTextInput(encoder.name(), TOKENS), out.get(TOKENS));
      if (encoder.pooled()) {
        inputs.put(ditTextInput(encoder.name(), POOLED), out.get(POOLED));
      }
    }
    return new TextConditioning(inputs);
  }
}
