package io.flowreel.text;

import io.flowreel.tensor.FloatTensor;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Everything the DiT reads from the text, keyed by DiT input name ({@code clip_tokens},
 * {@code clip_pooled}, ...), each with a leading batch axis.
 */
public record TextConditioning(Map<String, FloatTensor> inputs) {

  public TextConditioning {
    inputs = Map.copyOf(inputs);
  }

  /** Conditional and unconditional rows in one batch, for a guided forward. */
  public static TextConditioning concat(TextConditioning first, TextConditioning second) {
    Map<String, FloatTensor> joined = new LinkedHashMap<>();
    first.inputs.forEach((name, t) -> joined.put(name, FloatTensor.concat(t, second.inputs.get(name))));
    return new TextConditioning(joined);
  }
}
