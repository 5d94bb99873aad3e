package io.flowreel.quality;

import java.util.Locale;

/** A measured colour: mean or median sRGB values, 0-255 per channel, not rounded. */
public record Rgb(double r, double g, double b) {

  /** Euclidean distance to a palette colour given as {@code [r, g, b]}. */
  public double distanceTo(int[] rgb) {
    return Math.sqrt(square(r - rgb[0]) + square(g - rgb[1]) + square(b - rgb[2]));
  }

  private static double square(double v) {
    return v * v;
  }

  @Override
  public String toString() {
    return String.format(Locale.ROOT, "(%.0f, %.0f, %.0f)", r, g, b);
  }
}
