package io.flowreel.pack;

import static io.flowreel.pack.ModelPack.MANIFEST;

import io.flowreel.pack.PackManifest.CachePair;
import io.flowreel.pack.PackManifest.DecoderSpec;
import io.flowreel.pack.PackManifest.DitSpec;
import io.flowreel.pack.PackManifest.Limits;
import io.flowreel.pack.PackManifest.NetworkSpec;
import io.flowreel.pack.PackManifest.PackFile;
import io.flowreel.pack.PackManifest.ReferenceSpec;
import io.flowreel.pack.PackManifest.SamplerDefaults;
import io.flowreel.pack.PackManifest.TextEncoderSpec;
import io.flowreel.pack.PackManifest.UpsamplerSpec;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A pack is distrusted input: it may come from anyone. Before anything multiplies, divides or
 * allocates by a pack's numbers, every section must be present, every name and tensor well formed
 * and every number within the bounds below. The bounds are generous for real models and keep every
 * product the size rules and the tiling form within an int (docs/model-packs.md lists them).
 */
final class ManifestChecks {

  /** Names and paths alike. */
  static final int MAX_NAME_CHARS = 255;
  static final int MAX_CHANNELS = 1024;
  static final int MAX_LATENT_SIZE = 4096;
  static final int MAX_LATENT_FRAMES = 1024;
  static final int MAX_TOKENS = 16384;
  /** Encoder widths, the DiT's hidden size and its position table. */
  static final int MAX_WIDTH = 65536;
  static final int MAX_LAYERS = 1024;
  static final int MAX_PATCH = 16;
  static final int MAX_TEMPORAL_FACTOR = 16;
  static final int MAX_SPATIAL_FACTOR = 64;
  static final int MAX_UPSAMPLER_FACTOR = 8;
  static final int MAX_CONTEXT = 1024;
  static final int MAX_RANK = 8;
  static final int MAX_DIM = 1 << 20;
  /** A tensor's fixed dimensions must fit one Java array. */
  static final long MAX_FIXED_ELEMENTS = Integer.MAX_VALUE;

  private static final Pattern SHA256 = Pattern.compile("[0-9a-fA-F]{64}");

  private final PackManifest m;
  private final List<String> problems;

  private ManifestChecks(PackManifest m, List<String> problems) {
    this.m = m;
    this.problems = problems;
  }

  static void check(PackManifest m, List<String> problems) {
    new ManifestChecks(m, problems).run();
  }

  private void run() {
    if (m.formatVersion() != PackManifest.FORMAT_VERSION) {
      problems.add(MANIFEST + ": formatVersion " + m.formatVersion() + " is not supported (expected "
          + PackManifest.FORMAT_VERSION + ")");
    }
    requirePresent(m.name(), "name");
    requirePresent(m.latent(), "latent");
    requirePresent(m.sampler(), "sampler");
    requirePresent(m.output(), "output");
    requirePresent(m.limits(), "limits");
    requirePresent(m.dit(), "dit");
    requirePresent(m.decoder(), "decoder");
    requirePresent(m.networks(), "networks");
    requirePresent(m.files(), "files");
    if (m.textEncoders() == null || m.textEncoders().isEmpty()) {
      problems.add(MANIFEST + ": textEncoders: at least one text encoder is required");
    }
    if (!problems.isEmpty()) {
      return;
    }
    name("name", m.name());
    range("latent.channels", m.latent().channels(), 1, MAX_CHANNELS);
    sampler(m.sampler());
    limits(m.limits());
    textEncoders(m.textEncoders());
    dit(m.dit());
    decoder(m.decoder());
    if (m.hasUpsampler()) {
      upsampler(m.upsampler());
    }
    networks(m.networks());
    references(m.references());
    files(m.files());
    if (m.tokenReference() != null) {
      name("tokenReference", m.tokenReference());
    }
  }

  /** A job without its own sampler settings gets these, so they must pass a job's own check. */
  private void sampler(SamplerDefaults s) {
    range("sampler.steps", s.steps(), 1, RenderPlan.MAX_STEPS);
    if (!(s.shift() > 0 && s.shift() <= RenderPlan.MAX_SHIFT)) {
      problems.add(MANIFEST + ": sampler.shift = " + s.shift() + ": must be above 0 and at most " + RenderPlan.MAX_SHIFT);
    }
    if (!(s.guidance() >= 1 && s.guidance() <= RenderPlan.MAX_GUIDANCE)) {
      problems.add(MANIFEST + ": sampler.guidance = " + s.guidance() + ": must be 1.." + RenderPlan.MAX_GUIDANCE);
    }
    if (!SamplerDefaults.EULER.equals(s.solver()) && !SamplerDefaults.UNIPC.equals(s.solver())) {
      problems.add(MANIFEST + ": sampler.solver = " + quote(s.solver()) + ": must be " + SamplerDefaults.EULER
          + " or " + SamplerDefaults.UNIPC);
    }
    if (s.negativePrompt() != null) {
      if (s.negativePrompt().length() > RenderPlan.MAX_PROMPT_CHARS) {
        problems.add(MANIFEST + ": sampler.negativePrompt has " + s.negativePrompt().length()
            + " characters, at most " + RenderPlan.MAX_PROMPT_CHARS);
      } else {
        PromptText.refusal(s.negativePrompt()).ifPresent(why -> problems.add(MANIFEST + ": sampler.negativePrompt has " + why));
      }
    }
  }

  private void limits(Limits l) {
    boolean sizes = range("limits.minLatentSize", l.minLatentSize(), 1, MAX_LATENT_SIZE)
        & range("limits.maxLatentSize", l.maxLatentSize(), 1, MAX_LATENT_SIZE);
    if (sizes && l.maxLatentSize() < l.minLatentSize()) {
      problems.add(MANIFEST + ": limits: maxLatentSize " + l.maxLatentSize() + " < minLatentSize " + l.minLatentSize());
    }
    range("limits.maxLatentFrames", l.maxLatentFrames(), 1, MAX_LATENT_FRAMES);
  }

  private void textEncoders(List<TextEncoderSpec> encoders) {
    Set<String> names = new HashSet<>();
    for (int i = 0; i < encoders.size(); i++) {
      String at = "textEncoders[" + i + "]";
      TextEncoderSpec e = encoders.get(i);
      if (e == null) {
        problems.add(MANIFEST + ": " + at + " is null");
        continue;
      }
      // The name prefixes the DiT's inputs for this encoder: two alike would feed one input.
      if (name(at + ".name", e.name()) && !names.add(e.name())) {
        problems.add(MANIFEST + ": " + at + ".name '" + e.name() + "' is used by two text encoders");
      }
      used(at + ".network", e.network());
      range(at + ".maxLength", e.maxLength(), 1, MAX_TOKENS);
      range(at + ".width", e.width(), 1, MAX_WIDTH);
    }
  }

  private void dit(DitSpec d) {
    used("dit.network", d.network());
    triple("dit.patchSize", d.patchSize(), MAX_PATCH);
    range("dit.hiddenSize", d.hiddenSize(), 1, MAX_WIDTH);
    range("dit.layers", d.layers(), 1, MAX_LAYERS);
    range("dit.heads", d.heads(), 1, MAX_LAYERS);
    triple("dit.positionTableSize", d.positionTableSize(), MAX_WIDTH);
  }

  private void decoder(DecoderSpec d) {
    used("decoder.network", d.network());
    if (d.firstNetwork() != null) {
      used("decoder.firstNetwork", d.firstNetwork());
      if (!d.causal()) {
        problems.add(MANIFEST + ": decoder.firstNetwork needs a causal decoder: it hands its caches to decoder.network");
      }
    }
    range("decoder.temporalFactor", d.temporalFactor(), 1, MAX_TEMPORAL_FACTOR);
    range("decoder.spatialFactor", d.spatialFactor(), 1, MAX_SPATIAL_FACTOR);
    range("decoder.spatialContext", d.spatialContext(), 0, MAX_CONTEXT);
    for (int i = 0; i < d.caches().size(); i++) {
      CachePair cache = d.caches().get(i);
      if (cache == null) {
        problems.add(MANIFEST + ": decoder.caches[" + i + "] is null");
      } else {
        name("decoder.caches[" + i + "].input", cache.input());
        name("decoder.caches[" + i + "].output", cache.output());
        range("decoder.caches[" + i + "].scale", cache.scale(), 1, MAX_SPATIAL_FACTOR);
      }
    }
  }

  private void upsampler(UpsamplerSpec u) {
    used("upsampler.network", u.network());
    range("upsampler.factor", u.factor(), 1, MAX_UPSAMPLER_FACTOR);
    range("upsampler.spatialContext", u.spatialContext(), 0, MAX_CONTEXT);
  }

  private void networks(Map<String, NetworkSpec> networks) {
    for (var entry : networks.entrySet()) {
      String at = "networks." + entry.getKey();
      NetworkSpec n = entry.getValue();
      if (n == null || n.file() == null || n.inputs() == null || n.outputs() == null) {
        problems.add(MANIFEST + ": " + at + ": needs file, inputs and outputs");
        continue;
      }
      name(at + ".file", n.file());
      tensors(at + ".inputs", n.inputs());
      tensors(at + ".outputs", n.outputs());
    }
  }

  private void tensors(String at, List<TensorSpec> tensors) {
    for (int i = 0; i < tensors.size(); i++) {
      String where = at + "[" + i + "]";
      TensorSpec t = tensors.get(i);
      if (t == null) {
        problems.add(MANIFEST + ": " + where + " is null");
        continue;
      }
      name(where + ".name", t.name());
      if (!TensorSpec.FLOAT32.equals(t.dtype()) && !TensorSpec.INT64.equals(t.dtype())) {
        problems.add(MANIFEST + ": " + where + ".dtype = " + quote(t.dtype()) + ": must be float32 or int64");
      }
      if (t.shape() == null || t.shape().size() > MAX_RANK) {
        problems.add(MANIFEST + ": " + where + ".shape must list at most " + MAX_RANK + " dimensions");
        continue;
      }
      shape(where + ".shape", t.shape());
    }
  }

  private void shape(String at, List<TensorSpec.Dim> shape) {
    long fixed = 1;
    for (int i = 0; i < shape.size(); i++) {
      TensorSpec.Dim d = shape.get(i);
      if (d == null) {
        problems.add(MANIFEST + ": " + at + "[" + i + "] is null, not a size or a name");
      } else if (d.size() == null) {
        name(at + "[" + i + "]", d.name());
      } else if (range(at + "[" + i + "]", d.size(), 1, MAX_DIM)) {
        // Both factors are at most 2^31 here, so the product cannot overflow a long.
        fixed *= d.size();
        if (fixed > MAX_FIXED_ELEMENTS) {
          problems.add(MANIFEST + ": " + at + " " + shape + ": the fixed dimensions alone hold more than "
              + MAX_FIXED_ELEMENTS + " elements");
          return;
        }
      }
    }
  }

  private void references(List<ReferenceSpec> references) {
    if (references == null) {
      return;
    }
    for (int i = 0; i < references.size(); i++) {
      String at = "references[" + i + "]";
      ReferenceSpec r = references.get(i);
      if (r == null) {
        problems.add(MANIFEST + ": " + at + " is null");
        continue;
      }
      if (name(at + ".network", r.network()) && !m.networks().containsKey(r.network())) {
        problems.add(MANIFEST + ": " + at + ".network '" + r.network() + "' is not declared in networks");
      }
      name(at + ".case", r.caseName());
      name(at + ".file", r.file());
    }
  }

  private void files(List<PackFile> files) {
    for (int i = 0; i < files.size(); i++) {
      String at = "files[" + i + "]";
      PackFile f = files.get(i);
      if (f == null) {
        problems.add(MANIFEST + ": " + at + " is null");
        continue;
      }
      name(at + ".path", f.path());
      if (f.sha256() == null || !SHA256.matcher(f.sha256()).matches()) {
        problems.add(MANIFEST + ": " + at + ".sha256 = " + quote(f.sha256()) + ": must be 64 hex digits");
      }
      range(at + ".size", f.size(), 0, Long.MAX_VALUE);
    }
  }

  /** A network a stage uses: named, and declared in {@code networks}. */
  private void used(String field, String network) {
    if (name(field, network) && !m.networks().containsKey(network)) {
      problems.add(MANIFEST + ": networks: '" + network + "' is used but not declared");
    }
  }

  private void triple(String field, List<Integer> values, int max) {
    if (values == null || values.size() != 3) {
      problems.add(MANIFEST + ": " + field + " must have three entries [t, h, w]");
      return;
    }
    for (int i = 0; i < 3; i++) {
      if (values.get(i) == null) {
        problems.add(MANIFEST + ": " + field + "[" + i + "] is null");
      } else {
        range(field + "[" + i + "]", values.get(i), 1, max);
      }
    }
  }

  private boolean range(String field, long value, long min, long max) {
    if (value < min || value > max) {
      problems.add(MANIFEST + ": " + field + " = " + value + ": must be " + min + ".." + max);
      return false;
    }
    return true;
  }

  private boolean name(String field, String value) {
    if (value == null || value.isBlank() || value.length() > MAX_NAME_CHARS) {
      problems.add(MANIFEST + ": " + field + " = " + quote(value) + ": must be 1.." + MAX_NAME_CHARS
          + " characters, not blank");
      return false;
    }
    return true;
  }

  private void requirePresent(Object value, String field) {
    if (value == null) {
      problems.add(MANIFEST + ": '" + field + "' is missing");
    }
  }

  /** A distrusted string for a message: quoted and cut short, as it ends up in logs. */
  static String quote(String value) {
    if (value == null) {
      return "null";
    }
    String shown = value.length() <= 80 ? value : value.substring(0, 77) + "...";
    return "'" + shown.replaceAll("\\p{Cntrl}", "?") + "'";
  }
}
