package io.flowreel.pack;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/** The contents of a pack's {@code pack.json}, as described in docs/model-packs.md. */
@JsonIgnoreProperties(ignoreUnknown = true)
public record PackManifest(
    int formatVersion,
    String name,
    String version,
    String description,
    Latent latent,
    SamplerDefaults sampler,
    OutputDefaults output,
    Limits limits,
    List<TextEncoderSpec> textEncoders,
    DitSpec dit,
    DecoderSpec decoder,
    UpsamplerSpec upsampler,
    Map<String, NetworkSpec> networks,
    List<ReferenceSpec> references,
    String tokenReference,
    List<PackFile> files) {

  public static final int FORMAT_VERSION = 1;

  @JsonIgnoreProperties(ignoreUnknown = true)
  public record Latent(int channels) {}

  @JsonIgnoreProperties(ignoreUnknown = true)
  public record SamplerDefaults(int steps, double shift, double guidance, boolean guidanceDistilled) {}

  /**
   * What a job renders when it leaves width, height, frames or fps unset. Width and height are final
   * sizes with the upsampler on (the usual case), and the loader checks them as such: a job that
   * turns the upsampler off may need to give its own size.
   */
  @JsonIgnoreProperties(ignoreUnknown = true)
  public record OutputDefaults(int width, int height, int frames, int fps) {
    /** RenderSpec's bound too (libs/render sits above this module), so a default passes a job's check. */
    public static final int MAX_FPS = 120;
  }

  /** Latent sizes the DiT and decoder were built for; outside them a render is refused. */
  @JsonIgnoreProperties(ignoreUnknown = true)
  public record Limits(int minLatentSize, int maxLatentSize, int maxLatentFrames) {}

  @JsonIgnoreProperties(ignoreUnknown = true)
  public record TokenizerSpec(String kind, String file) {
    public static final String WORD_LEVEL = "wordlevel";
    public static final String BYTES = "bytes";
  }

  @JsonIgnoreProperties(ignoreUnknown = true)
  public record TextEncoderSpec(
      String name, String network, TokenizerSpec tokenizer, int maxLength, int width, boolean pooled) {}

  @JsonIgnoreProperties(ignoreUnknown = true)
  public record DitSpec(
      String network, List<Integer> patchSize, int hiddenSize, int layers, int heads,
      List<Integer> positionTableSize) {}

  /**
   * A causal decoder streams: each call takes the caches the previous call returned (zeros at the
   * start of a video) and the first {@code temporalFactor - 1} frames of a video are dropped.
   */
  @JsonIgnoreProperties(ignoreUnknown = true)
  public record DecoderSpec(
      String network, boolean causal, int temporalFactor, int spatialFactor, int spatialContext,
      List<CachePair> caches) {

    public DecoderSpec {
      // Not List.copyOf: a null entry is the loader's to name, not a NullPointerException here.
      caches = caches == null ? List.of() : Collections.unmodifiableList(new ArrayList<>(caches));
    }
  }

  /** One convolution cache: the decoder input that takes it and the output that returns the next. */
  @JsonIgnoreProperties(ignoreUnknown = true)
  public record CachePair(String input, String output) {}

  @JsonIgnoreProperties(ignoreUnknown = true)
  public record UpsamplerSpec(String network, int factor, int spatialContext) {}

  @JsonIgnoreProperties(ignoreUnknown = true)
  public record NetworkSpec(String file, List<TensorSpec> inputs, List<TensorSpec> outputs) {}

  /** PyTorch inputs and outputs of one network at one size, for parity tests. */
  @JsonIgnoreProperties(ignoreUnknown = true)
  public record ReferenceSpec(String network, @JsonProperty("case") String caseName, String file) {}

  @JsonIgnoreProperties(ignoreUnknown = true)
  public record PackFile(String path, String sha256, long size) {}
}
