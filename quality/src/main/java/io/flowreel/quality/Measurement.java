package io.flowreel.quality;

/**
 * What {@link ClipMeasurer} saw in one clip: the background, and the object or {@code null} when no
 * object was found. Names come from the {@link World}; the numbers behind them are kept so that a
 * wrong name can be told from a borderline one.
 *
 * @param background nearest background colour name
 * @param backgroundRgb median over frames of each frame's border median
 * @param frames frames in the clip
 * @param object the largest object, or {@code null}: no frame held one big enough
 */
public record Measurement(String background, Rgb backgroundRgb, int frames, DetectedObject object) {

  /** The name reported for colour, shape and motion when no object was found. */
  public static final String NONE = "none";

  /**
   * @param colour nearest object colour name
   * @param shape circle, square or triangle, from {@code fillRatio}
   * @param motion left, right, up, down or still, from {@code dx} and {@code dy}
   * @param rgb mean colour of the object's inner pixels over the usable frames
   * @param fillRatio median over frames of object area / bounding-box area
   * @param dx centroid displacement, last usable frame minus first, in frame widths (positive: right)
   * @param dy likewise downwards, also in frame widths (negative: up)
   * @param pixelFraction median over frames of object area / frame area
   * @param usableFrames frames whose object was big enough to measure
   */
  public record DetectedObject(String colour, String shape, String motion, Rgb rgb, double fillRatio, double dx,
      double dy, double pixelFraction, int usableFrames) {
  }

  public boolean objectFound() {
    return object != null;
  }

  public String colour() {
    return object == null ? NONE : object.colour();
  }

  public String shape() {
    return object == null ? NONE : object.shape();
  }

  public String motion() {
    return object == null ? NONE : object.motion();
  }
}
