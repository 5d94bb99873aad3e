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

  /** A pack without an upsampler (Wan2.1's) renders at the decoder's size only. */
  public boolean hasUpsampler() {
    return upsampler != null;
  }

  @JsonIgnoreProperties(ignoreUnknown = true)
  public record Latent(int channels) {}

  /**
   * The family's sampling defaults. {@code solver} is {@link #EULER} (the default when absent: Euler
   * steps on flow time in [0, 1]) or {@link #UNIPC} (Wan2.1's UniPC, which gives the DiT the timestep
   * {@code floor(1000 sigma)}); {@code negativePrompt} is what guidance steers away from when a job
   * names none (absent: the empty prompt).
   */
  @JsonIgnoreProperties(ignoreUnknown = true)
  public record SamplerDefaults(int steps, double shift, double guidance, boolean guidanceDistilled, String solver,
      String negativePrompt) {
    public static final String EULER = "euler";
    public static final String UNIPC = "unipc";

    public SamplerDefaults {
      solver = solver == null ? EULER : solver;
    }
  }

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

  /**
   * {@code wordlevel} and {@code huggingface} name a Hugging Face {@code tokenizer.json} (the first
   * the tiny pack's word-level kind, the second any model the tokenizers library runs, such as umT5's
   * Unigram); {@code bytes} is ByT5's byte encoding. {@code cleaning} is what the family does to a
   * prompt before tokenizing it: absent for none, {@link #WAN_CLEANING} for Wan2.1's.
   */
  @JsonIgnoreProperties(ignoreUnknown = true)
  public record TokenizerSpec(String kind, String file, String cleaning) {
    public static final String WORD_LEVEL = "wordlevel";
    public static final String HUGGING_FACE = "huggingface";
    public static final String BYTES = "bytes";
    public static final String WAN_CLEANING = "wan";

    public boolean readsFile() {
      return WORD_LEVEL.equals(kind) || HUGGING_FACE.equals(kind);
    }
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
   * start of a video). Without {@code firstNetwork} the first {@code temporalFactor - 1} frames of a
   * video are dropped; with it, latent 0 goes through that network alone (one frame, and the caches
   * for {@code network}), as Wan2.1's VAE decodes its first latent. {@code wholeFrame} marks a
   * decoder that attends over whole frames, which spatial tiles would change: it is never tiled.
   */
  @JsonIgnoreProperties(ignoreUnknown = true)
  public record DecoderSpec(
      String network, boolean causal, int temporalFactor, int spatialFactor, int spatialContext,
      List<CachePair> caches, String firstNetwork, boolean wholeFrame) {

    public DecoderSpec(String network, boolean causal, int temporalFactor, int spatialFactor, int spatialContext,
        List<CachePair> caches) {
      this(network, causal, temporalFactor, spatialFactor, spatialContext, caches, null, false);
    }

    public DecoderSpec {
      // Not List.copyOf: a null entry is the loader's to name, not a NullPointerException here.
      caches = caches == null ? List.of() : Collections.unmodifiableList(new ArrayList<>(caches));
    }
  }

  /**
   * One convolution cache: the decoder input that takes it and the output that returns the next.
   * Its height and width are {@code scale} times the latent's (1 when absent): a decoder that
   * upsamples inside keeps caches at every resolution it convolves in time.
   */
  @JsonIgnoreProperties(ignoreUnknown = true)
  public record CachePair(String input, String output, Integer scale) {
    public CachePair(String input, String output) {
      this(input, output, 1);
    }

    public CachePair {
      scale = scale == null ? Integer.valueOf(1) : scale;
    }
  }

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
