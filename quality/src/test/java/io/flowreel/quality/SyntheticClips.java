package io.flowreel.quality;

import io.flowreel.media.RgbFrame;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Clips of the synthetic world drawn in Java as tools/synthetic_world.py draws them: flat colours, shapes
 * given by a signed distance, one-pixel anti-aliased edges. Positions and sizes are in frame widths.
 */
final class SyntheticClips {

  static final int SIZE = 256;
  static final int FRAMES = 17;
  /** Per frame: 0.017 * 16 = 27% of the width over the clip, mid-range of the world's 22-32%. */
  static final double SPEED = 0.017;
  static final double RADIUS = 0.11;

  private static final Map<String, double[]> DIRECTIONS = Map.of("left", new double[] {-1, 0},
      "right", new double[] {1, 0}, "up", new double[] {0, -1}, "down", new double[] {0, 1},
      "still", new double[] {0, 0});

  /** One object at (x, y) in frame 0, moving (vx, vy) per frame. */
  record Scene(String background, String colour, String shape, double radius, double x, double y, double vx,
      double vy) {
  }

  private SyntheticClips() {
  }

  static World world() {
    try {
      return World.load(repo().resolve("tools/synthetic_world.json"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Surefire sets flowreel.repo to the checkout; from the module folder it is one up. */
  static Path repo() {
    return Path.of(System.getProperty("flowreel.repo", ".."));
  }

  /** An object moving its way at {@link #SPEED}, centred on the frame halfway through the clip. */
  static Scene scene(String colour, String shape, String motion, String background) {
    double[] d = DIRECTIONS.get(motion);
    double travel = SPEED * (FRAMES - 1);
    return new Scene(background, colour, shape, RADIUS, 0.5 - d[0] * travel / 2, 0.5 - d[1] * travel / 2,
        d[0] * SPEED, d[1] * SPEED);
  }

  static List<RgbFrame> draw(World world, Scene scene) {
    return draw(world, scene, SIZE, FRAMES);
  }

  static List<RgbFrame> draw(World world, Scene scene, int size, int frames) {
    int[] bg = world.backgroundColours().get(scene.background());
    int[] fg = world.objectColours().get(scene.colour());
    List<RgbFrame> clip = new ArrayList<>();
    for (int t = 0; t < frames; t++) {
      double cx = scene.x() + scene.vx() * t;
      double cy = scene.y() + scene.vy() * t;
      byte[] rgb = new byte[size * size * 3];
      for (int y = 0; y < size; y++) {
        for (int x = 0; x < size; x++) {
          double px = (x + 0.5) / size - cx;
          double py = (y + 0.5) / size - cy;
          double coverage = Math.max(0, Math.min(1, 0.5 - signedDistance(scene, px, py) * size));
          int i = (y * size + x) * 3;
          for (int c = 0; c < 3; c++) {
            rgb[i + c] = (byte) Math.round(bg[c] * (1 - coverage) + fg[c] * coverage);
          }
        }
      }
      clip.add(new RgbFrame(size, size, rgb));
    }
    return clip;
  }

  /** Distance to the shape's edge in frame widths, negative inside (as in synthetic_world.py). */
  private static double signedDistance(Scene scene, double px, double py) {
    double r = scene.radius();
    switch (scene.shape()) {
      case "circle":
        return Math.hypot(px, py) - r;
      case "square":
        return Math.max(Math.abs(px), Math.abs(py)) - r * 0.88;
      case "triangle":
        double big = r * 1.2;
        double s = Math.sqrt(3) / 2;
        return Math.max(py, Math.max(s * px - 0.5 * py, -s * px - 0.5 * py)) - big / 2;
      default:
        throw new IllegalArgumentException("no shape " + scene.shape());
    }
  }

  /** A frame of nothing but the background. */
  static RgbFrame plain(int[] rgb, int size) {
    byte[] bytes = new byte[size * size * 3];
    for (int i = 0; i < bytes.length; i++) {
      bytes[i] = (byte) rgb[i % 3];
    }
    return new RgbFrame(size, size, bytes);
  }
}
