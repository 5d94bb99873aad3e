package io.flowreel.quality;

import io.flowreel.media.RgbFrame;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Names what a clip of the synthetic world shows: background colour, and the colour, shape and motion
 * of its one object. Pure logic on decoded frames; no I/O.
 *
 * <p>Per frame: the background is the per-channel median of the outer {@value #BORDER}-pixel ring (objects
 * start at least 2% of the width inside the frame, so the ring is background, and a median ignores the
 * odd object pixel there). The object is the largest 4-connected group of pixels differing from that
 * background by more than {@value #OBJECT_DIFFERENCE}/255 in some channel. Then, over the frames:
 *
 * <table>
 *   <caption>Thresholds</caption>
 *   <tr><th>value</th><th>why</th></tr>
 *   <tr><td>{@link #OBJECT_DIFFERENCE} = 60/255, largest channel</td><td>the closest object and background
 *     colours the world puts together (green on gray) differ by 85 in their largest channel; 60 keeps
 *     every such pair apart while staying far above H.264 error (about 2/255) and the soft noise of a
 *     model's render</td></tr>
 *   <tr><td>{@link #MIN_OBJECT_FRACTION} = 0.3% of the frame</td><td>the smallest object (radius 9% of the
 *     width, a triangle) covers about 1.5%; below 0.3% a group is a speck or a fading object whose
 *     shape and colour cannot be trusted, so the frame is not used</td></tr>
 *   <tr><td>{@link #EROSION} = 2 pixels</td><td>colour is averaged over the object's inside only: edges
 *     mix with the background (anti-aliasing) and H.264's 4:2:0 chroma smears colour about 2 pixels
 *     across an edge</td></tr>
 *   <tr><td>fill ratio (area / bounding box) below {@link #TRIANGLE_MAX_FILL} = 0.64: triangle; below
 *     {@link #CIRCLE_MAX_FILL} = 0.89: circle; else square</td><td>ideal ratios are 0.5 (equilateral, apex
 *     up), pi/4 = 0.785 and 1.0; each threshold is about halfway, so jagged or rounded corners of a render
 *     move the ratio by about 0.1 before the name changes. Frames whose object touches the frame edge are
 *     left out here (a cut shape has another ratio) unless every usable frame does.</td></tr>
 *   <tr><td>displacement below {@link #STILL_MAX_DISPLACEMENT} = 6% of the width: still; else the axis with
 *     the larger displacement</td><td>moving objects travel 22-32% of the width, still ones 0; 6% (15 pixels
 *     at 256) is well above the jitter of a still object's centroid and well below the shortest travel,
 *     so an object that moves visibly but too little still counts as moving its way</td></tr>
 * </table>
 *
 * <p>Motion compares the centroids of the first and last usable frames; image y grows downwards, so a
 * negative dy is up. Colour names are the nearest palette colour in RGB (Euclidean).
 */
public final class ClipMeasurer {

  static final int BORDER = 2;
  static final int OBJECT_DIFFERENCE = 60;
  static final double MIN_OBJECT_FRACTION = 0.003;
  static final int EROSION = 2;
  static final double TRIANGLE_MAX_FILL = 0.64;
  static final double CIRCLE_MAX_FILL = 0.89;
  static final double STILL_MAX_DISPLACEMENT = 0.06;

  static final String TRIANGLE = "triangle";
  static final String CIRCLE = "circle";
  static final String SQUARE = "square";
  static final String LEFT = "left";
  static final String RIGHT = "right";
  static final String UP = "up";
  static final String DOWN = "down";
  static final String STILL = "still";

  private final World world;

  public ClipMeasurer(World world) {
    // The names below are geometry, not palette: fail early if the world stops using them.
    if (!world.shapes().containsAll(List.of(TRIANGLE, CIRCLE, SQUARE))
        || !world.motions().containsAll(List.of(LEFT, RIGHT, UP, DOWN, STILL))) {
      throw new IllegalArgumentException("the measurer knows the shapes " + List.of(TRIANGLE, CIRCLE, SQUARE)
          + " and motions " + List.of(LEFT, RIGHT, UP, DOWN, STILL) + ", the world has " + world.shapes() + " and "
          + world.motions());
    }
    this.world = world;
  }

  public Measurement measure(List<RgbFrame> frames) {
    if (frames.isEmpty()) {
      throw new IllegalArgumentException("a clip needs at least one frame");
    }
    int width = frames.get(0).width();
    int height = frames.get(0).height();
    if (width <= 2 * BORDER + 2 || height <= 2 * BORDER + 2) {
      throw new IllegalArgumentException("frames of " + width + "x" + height + " are too small to measure");
    }
    double minArea = MIN_OBJECT_FRACTION * width * height;
    double[][] backgrounds = new double[3][frames.size()];
    List<FrameObject> usable = new ArrayList<>();
    for (int t = 0; t < frames.size(); t++) {
      RgbFrame frame = frames.get(t);
      if (frame.width() != width || frame.height() != height) {
        throw new IllegalArgumentException("frame " + t + " is " + frame.width() + "x" + frame.height()
            + ", frame 0 is " + width + "x" + height);
      }
      int[] background = borderMedian(frame);
      for (int c = 0; c < 3; c++) {
        backgrounds[c][t] = background[c];
      }
      FrameObject object = largestObject(frame, background);
      if (object != null && object.area >= minArea) {
        usable.add(object);
      }
    }
    Rgb backgroundRgb = new Rgb(median(backgrounds[0]), median(backgrounds[1]), median(backgrounds[2]));
    String background = world.nearestBackground(backgroundRgb);
    if (usable.isEmpty()) {
      return new Measurement(background, backgroundRgb, frames.size(), null);
    }

    Rgb rgb = meanColour(usable);
    List<FrameObject> whole = usable.stream().filter(o -> !o.touchesBorder).toList();
    double fill = median((whole.isEmpty() ? usable : whole).stream().mapToDouble(FrameObject::fillRatio).toArray());
    FrameObject first = usable.get(0);
    FrameObject last = usable.get(usable.size() - 1);
    double dx = (last.cx - first.cx) / width;
    double dy = (last.cy - first.cy) / width;
    double pixelFraction = median(usable.stream().mapToDouble(o -> o.area).toArray()) / ((double) width * height);
    return new Measurement(background, backgroundRgb, frames.size(), new Measurement.DetectedObject(
        world.nearestObjectColour(rgb), shapeFor(fill), motionFor(dx, dy), rgb, fill, dx, dy, pixelFraction,
        usable.size()));
  }

  static String shapeFor(double fillRatio) {
    if (fillRatio < TRIANGLE_MAX_FILL) {
      return TRIANGLE;
    }
    return fillRatio < CIRCLE_MAX_FILL ? CIRCLE : SQUARE;
  }

  static String motionFor(double dx, double dy) {
    if (Math.hypot(dx, dy) < STILL_MAX_DISPLACEMENT) {
      return STILL;
    }
    if (Math.abs(dx) >= Math.abs(dy)) {
      return dx < 0 ? LEFT : RIGHT;
    }
    return dy < 0 ? UP : DOWN;
  }

  /** One frame's object: the largest 4-connected group of pixels unlike the background. */
  private record FrameObject(int area, int boxArea, double cx, double cy, boolean touchesBorder,
      double[] innerSum, int innerCount, double[] sum) {

    double fillRatio() {
      return (double) area / boxArea;
    }
  }

  private static Rgb meanColour(List<FrameObject> objects) {
    // The inside alone, unless erosion left nothing anywhere (an object thinner than 2 * EROSION + 1).
    boolean inner = objects.stream().anyMatch(o -> o.innerCount > 0);
    double[] sum = new double[3];
    long count = 0;
    for (FrameObject o : objects) {
      double[] s = inner ? o.innerSum : o.sum;
      for (int c = 0; c < 3; c++) {
        sum[c] += s[c];
      }
      count += inner ? o.innerCount : o.area;
    }
    return new Rgb(sum[0] / count, sum[1] / count, sum[2] / count);
  }

  private static int[] borderMedian(RgbFrame frame) {
    int w = frame.width();
    int h = frame.height();
    byte[] rgb = frame.rgb();
    int[][] histogram = new int[3][256];
    int n = 0;
    for (int y = 0; y < h; y++) {
      boolean edgeRow = y < BORDER || y >= h - BORDER;
      for (int x = 0; x < w; x++) {
        if (edgeRow || x < BORDER || x >= w - BORDER) {
          int i = (y * w + x) * 3;
          for (int c = 0; c < 3; c++) {
            histogram[c][rgb[i + c] & 0xff]++;
          }
          n++;
        }
      }
    }
    int[] median = new int[3];
    for (int c = 0; c < 3; c++) {
      int seen = 0;
      int v = 0;
      while ((seen += histogram[c][v]) <= n / 2) {
        v++;
      }
      median[c] = v;
    }
    return median;
  }

  private static FrameObject largestObject(RgbFrame frame, int[] background) {
    int w = frame.width();
    int h = frame.height();
    byte[] rgb = frame.rgb();
    boolean[] differs = new boolean[w * h];
    for (int p = 0; p < w * h; p++) {
      int i = p * 3;
      int d = Math.max(Math.abs((rgb[i] & 0xff) - background[0]),
          Math.max(Math.abs((rgb[i + 1] & 0xff) - background[1]), Math.abs((rgb[i + 2] & 0xff) - background[2])));
      differs[p] = d > OBJECT_DIFFERENCE;
    }

    int[] label = new int[w * h];
    int[] queue = new int[w * h];
    int best = 0;
    int bestArea = 0;
    int next = 0;
    for (int seed = 0; seed < w * h; seed++) {
      if (!differs[seed] || label[seed] != 0) {
        continue;
      }
      next++;
      int head = 0;
      int tail = 0;
      queue[tail++] = seed;
      label[seed] = next;
      while (head < tail) {
        int p = queue[head++];
        int x = p % w;
        int y = p / w;
        if (x > 0 && differs[p - 1] && label[p - 1] == 0) {
          label[p - 1] = next;
          queue[tail++] = p - 1;
        }
        if (x < w - 1 && differs[p + 1] && label[p + 1] == 0) {
          label[p + 1] = next;
          queue[tail++] = p + 1;
        }
        if (y > 0 && differs[p - w] && label[p - w] == 0) {
          label[p - w] = next;
          queue[tail++] = p - w;
        }
        if (y < h - 1 && differs[p + w] && label[p + w] == 0) {
          label[p + w] = next;
          queue[tail++] = p + w;
        }
      }
      if (tail > bestArea) {
        bestArea = tail;
        best = next;
      }
    }
    if (best == 0) {
      return null;
    }

    boolean[] object = new boolean[w * h];
    int minX = w;
    int maxX = -1;
    int minY = h;
    int maxY = -1;
    double sumX = 0;
    double sumY = 0;
    double[] sum = new double[3];
    for (int p = 0; p < w * h; p++) {
      if (label[p] == best) {
        object[p] = true;
        int x = p % w;
        int y = p / w;
        minX = Math.min(minX, x);
        maxX = Math.max(maxX, x);
        minY = Math.min(minY, y);
        maxY = Math.max(maxY, y);
        sumX += x;
        sumY += y;
        for (int c = 0; c < 3; c++) {
          sum[c] += rgb[p * 3 + c] & 0xff;
        }
      }
    }
    boolean[] inner = object;
    for (int i = 0; i < EROSION; i++) {
      inner = erode(inner, w, h);
    }
    double[] innerSum = new double[3];
    int innerCount = 0;
    for (int p = 0; p < w * h; p++) {
      if (inner[p]) {
        innerCount++;
        for (int c = 0; c < 3; c++) {
          innerSum[c] += rgb[p * 3 + c] & 0xff;
        }
      }
    }
    boolean touchesBorder = minX == 0 || minY == 0 || maxX == w - 1 || maxY == h - 1;
    // Pixel centres: pixel x covers [x, x + 1).
    return new FrameObject(bestArea, (maxX - minX + 1) * (maxY - minY + 1), sumX / bestArea + 0.5,
        sumY / bestArea + 0.5, touchesBorder, innerSum, innerCount, sum);
  }

  /** One step of 4-neighbour erosion; pixels outside the frame count as not object. */
  private static boolean[] erode(boolean[] mask, int w, int h) {
    boolean[] out = new boolean[mask.length];
    for (int y = 1; y < h - 1; y++) {
      for (int x = 1; x < w - 1; x++) {
        int p = y * w + x;
        out[p] = mask[p] && mask[p - 1] && mask[p + 1] && mask[p - w] && mask[p + w];
      }
    }
    return out;
  }

  private static double median(double[] values) {
    double[] sorted = values.clone();
    Arrays.sort(sorted);
    int n = sorted.length;
    return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  }
}
