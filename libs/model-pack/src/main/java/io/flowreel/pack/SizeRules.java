package io.flowreel.pack;

import java.util.ArrayList;
import java.util.List;

/**
 * Which output sizes and frame counts a pack can render, and the latent geometry behind them.
 * Width and height are final sizes (after the upsampler when it runs). The pack's factors are
 * within {@link ManifestChecks}' bounds, so the products here fit an int.
 */
public final class SizeRules {

  private final PackManifest m;

  SizeRules(PackManifest manifest) {
    this.m = manifest;
  }

  /** Latent and pixel sizes of one render, derived from a valid request. */
  public record Geometry(int latentFrames, int latentHeight, int latentWidth, int frames,
      int decodedHeight, int decodedWidth, int height, int width, boolean upsample) {}

  /** Pixels per latent step along an axis, including the upsampler when it runs. */
  public int pixelMultiple(boolean upsample, int axis) {
    int patch = m.dit().patchSize().get(axis);
    return m.decoder().spatialFactor() * patch * (upsample ? m.upsampler().factor() : 1);
  }

  public Geometry resolve(int width, int height, int frames, boolean upsample) {
    if (upsample && !m.hasUpsampler()) {
      throw new IllegalArgumentException("pack " + m.name() + " has no upsampler: render with upsample off");
    }
    List<String> problems = new ArrayList<>();
    int latentW = latentSize("width", width, upsample, 2, problems);
    int latentH = latentSize("height", height, upsample, 1, problems);
    int latentT = latentFrames(frames, problems);
    if (!problems.isEmpty()) {
      throw new IllegalArgumentException(String.join("; ", problems));
    }
    int spatial = m.decoder().spatialFactor();
    return new Geometry(latentT, latentH, latentW, frames, latentH * spatial, latentW * spatial,
        height, width, upsample);
  }

  /** Valid final sizes along one axis: the multiples of {@code multiple} from {@code min} to {@code max}. */
  public record AxisRange(int multiple, int min, int max) {}

  /** Valid frame counts: {@code 1 + step * k} from 1 to {@code max}. */
  public record FrameRange(int step, int max) {}

  /** Everything {@link #resolve} accepts with {@code upsample} on or off, for clients choosing a size. */
  public record ValidSizes(AxisRange width, AxisRange height, FrameRange frames) {}

  public ValidSizes validSizes(boolean upsample) {
    if (upsample && !m.hasUpsampler()) {
      throw new IllegalArgumentException("pack " + m.name() + " has no upsampler: render with upsample off");
    }
    return new ValidSizes(axisRange(upsample, 2), axisRange(upsample, 1), frameRange());
  }

  // resolve checks against these two, so what validSizes describes is what resolve enforces.
  private AxisRange axisRange(boolean upsample, int axis) {
    int multiple = pixelMultiple(upsample, axis);
    int patch = m.dit().patchSize().get(axis);
    int min = (int) roundUp(m.limits().minLatentSize(), patch) * multiple / patch;
    int max = m.limits().maxLatentSize() / patch * multiple;
    return new AxisRange(multiple, min, max);
  }

  private FrameRange frameRange() {
    int r = m.decoder().temporalFactor();
    return new FrameRange(r, 1 + r * (m.limits().maxLatentFrames() - 1));
  }

  private int latentSize(String axisName, int pixels, boolean upsample, int axis, List<String> problems) {
    AxisRange range = axisRange(upsample, axis);
    int multiple = range.multiple();
    int min = range.min();
    int max = range.max();
    int patch = m.dit().patchSize().get(axis);
    if (pixels % multiple == 0 && pixels >= min && pixels <= max) {
      return pixels / multiple * patch;
    }
    long below = Math.max(min, Math.min(max, Math.floorDiv((long) pixels, multiple) * multiple));
    long above = Math.max(min, Math.min(max, roundUp(pixels, multiple)));
    String nearest = below == above ? String.valueOf(below) : below + " or " + above;
    problems.add(axisName + " " + pixels + " is not valid for pack " + m.name() + ": it must be a multiple of "
        + multiple + " between " + min + " and " + max + " (nearest valid: " + nearest + ")");
    return -1;
  }

  private int latentFrames(int frames, List<String> problems) {
    FrameRange range = frameRange();
    int r = range.step();
    int max = range.max();
    if (frames >= 1 && frames <= max && (frames - 1) % r == 0) {
      return 1 + (frames - 1) / r;
    }
    long below = Math.max(1, Math.min(max, 1 + Math.floorDiv(frames - 1L, r) * r));
    long above = Math.max(1, Math.min(max, 1 + roundUp(frames - 1L, r)));
    String nearest = below == above ? String.valueOf(below) : below + " or " + above;
    problems.add("frames " + frames + " is not valid for pack " + m.name() + ": the decoder produces 1 + "
        + r + "k frames, from 1 to " + max + " (nearest valid: " + nearest + ")");
    return -1;
  }

  /** In long: a job's size is any int, and rounding one near the top up would wrap around. */
  private static long roundUp(long value, long multiple) {
    return Math.floorDiv(value + multiple - 1, multiple) * multiple;
  }
}
