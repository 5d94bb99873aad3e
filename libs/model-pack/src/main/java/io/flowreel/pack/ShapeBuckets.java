package io.flowreel.pack;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * The shape buckets of one pack with the latent geometry behind each. TensorRT engines are built
 * for these latent sizes only, so a job fits when its latent frames, height and width are those of
 * a bucket, whether or not it turns the upsampler off (a preview at half the size has the same
 * latent as its full-size bucket).
 */
public final class ShapeBuckets {

  private final String packName;
  private final List<ShapeBucket> buckets;
  private final List<SizeRules.Geometry> geometries;

  ShapeBuckets(List<ShapeBucket> buckets, PackManifest manifest) {
    if (buckets.isEmpty()) {
      throw new IllegalArgumentException("at least one shape bucket is needed");
    }
    SizeRules rules = new SizeRules(manifest);
    List<String> problems = new ArrayList<>();
    List<SizeRules.Geometry> resolved = new ArrayList<>();
    for (ShapeBucket bucket : buckets) {
      try {
        resolved.add(rules.resolve(bucket.width(), bucket.height(), bucket.frames(), manifest.hasUpsampler()));
      } catch (IllegalArgumentException e) {
        problems.add("shape bucket " + bucket + ": " + e.getMessage());
      }
    }
    if (!problems.isEmpty()) {
      throw new IllegalArgumentException(String.join("; ", problems));
    }
    this.packName = manifest.name();
    this.buckets = List.copyOf(buckets);
    this.geometries = List.copyOf(resolved);
  }

  /** {@code buckets} for {@code pack}; each must be a size the pack accepts with the upsampler on. */
  public static ShapeBuckets of(List<ShapeBucket> buckets, ModelPack pack) {
    return new ShapeBuckets(buckets, pack.manifest());
  }

  /** The pack's default output ({@code output} in pack.json) as the only bucket. */
  public static ShapeBuckets packDefault(ModelPack pack) {
    PackManifest.OutputDefaults out = pack.manifest().output();
    return of(List.of(new ShapeBucket(out.width(), out.height(), out.frames())), pack);
  }

  /** A comma-separated list such as {@code 256x256x17,512x512x33}; blank gives no buckets. */
  public static List<ShapeBucket> parseList(String text) {
    if (text == null || text.isBlank()) {
      return List.of();
    }
    return Arrays.stream(text.split(",")).map(ShapeBucket::parse).toList();
  }

  public List<ShapeBucket> buckets() {
    return buckets;
  }

  /** The latent geometry of {@code bucket}, one of {@link #buckets()}. */
  public SizeRules.Geometry geometry(ShapeBucket bucket) {
    int i = buckets.indexOf(bucket);
    if (i < 0) {
      throw new IllegalArgumentException(bucket + " is not one of the buckets " + buckets);
    }
    return geometries.get(i);
  }

  /** The bucket whose latent size {@code job} has, if any. */
  public Optional<ShapeBucket> find(SizeRules.Geometry job) {
    for (int i = 0; i < buckets.size(); i++) {
      SizeRules.Geometry g = geometries.get(i);
      if (g.latentFrames() == job.latentFrames() && g.latentHeight() == job.latentHeight()
          && g.latentWidth() == job.latentWidth()) {
        return Optional.of(buckets.get(i));
      }
    }
    return Optional.empty();
  }

  /** Why {@code job} cannot run on engines built for these buckets, naming the valid sizes; empty when it can. */
  public Optional<String> check(SizeRules.Geometry job) {
    if (find(job).isPresent()) {
      return Optional.empty();
    }
    String size = job.width() + "x" + job.height() + "x" + job.frames() + (job.upsample() ? "" : " without upsampling");
    String full = buckets.stream().map(ShapeBucket::toString).collect(Collectors.joining(", "));
    String half = geometries.stream().map(g -> g.decodedWidth() + "x" + g.decodedHeight() + "x" + g.frames())
        .collect(Collectors.joining(", "));
    return Optional.of("size " + size + " is not one of the shapes this farm's GPU engines for pack " + packName
        + " were built for: use " + full + " (" + half + " without upsampling)");
  }

  @Override
  public String toString() {
    return buckets.stream().map(ShapeBucket::toString).collect(Collectors.joining(","));
  }
}
