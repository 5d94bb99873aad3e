package io.flowreel.pack;

/** Tensor names every pack uses for its networks' inputs and outputs (docs/model-packs.md). */
public final class NetworkIo {
  public static final String LATENT = "latent";
  public static final String TIMESTEP = "timestep";
  public static final String VELOCITY = "velocity";
  public static final String FRAMES = "frames";
  public static final String UPSAMPLED = "upsampled";
  public static final String INPUT_IDS = "input_ids";
  public static final String ATTENTION_MASK = "attention_mask";
  public static final String TOKENS = "tokens";
  public static final String POOLED = "pooled";

  /** The DiT input fed by encoder {@code encoder}'s output {@code output}, e.g. {@code clip_tokens}. */
  public static String ditTextInput(String encoder, String output) {
    return encoder + "_" + output;
  }

  private NetworkIo() {}
}
