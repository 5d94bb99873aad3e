package io.flowreel.quality;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The synthetic world of the tiny pack, read from {@code tools/synthetic_world.json}: the palette that
 * measured colours are named from, and the shape and motion names. The palette lives only in that file,
 * which also draws the training clips, so the evaluator names colours exactly as training drew them.
 * Map order is the file's order (it orders the confusion tables).
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record World(Map<String, int[]> objectColours, Map<String, int[]> backgroundColours, List<String> shapes,
    List<String> motions) {

  public World {
    objectColours = palette("objectColours", objectColours);
    backgroundColours = palette("backgroundColours", backgroundColours);
    if (shapes == null || shapes.isEmpty() || motions == null || motions.isEmpty()) {
      throw new IllegalArgumentException("the world needs \"shapes\" and \"motions\"");
    }
    shapes = List.copyOf(shapes);
    motions = List.copyOf(motions);
  }

  public static World load(Path file) throws IOException {
    return new ObjectMapper().readValue(file.toFile(), World.class);
  }

  public String nearestObjectColour(Rgb colour) {
    return nearest(objectColours, colour);
  }

  public String nearestBackground(Rgb colour) {
    return nearest(backgroundColours, colour);
  }

  private static String nearest(Map<String, int[]> palette, Rgb colour) {
    String best = null;
    double bestDistance = Double.POSITIVE_INFINITY;
    for (Map.Entry<String, int[]> entry : palette.entrySet()) {
      double d = colour.distanceTo(entry.getValue());
      if (d < bestDistance) {
        best = entry.getKey();
        bestDistance = d;
      }
    }
    return best;
  }

  private static Map<String, int[]> palette(String field, Map<String, int[]> colours) {
    if (colours == null || colours.isEmpty()) {
      throw new IllegalArgumentException("the world needs \"" + field + "\"");
    }
    Map<String, int[]> copy = new LinkedHashMap<>();
    colours.forEach((name, rgb) -> {
      if (rgb == null || rgb.length != 3 || Math.min(rgb[0], Math.min(rgb[1], rgb[2])) < 0
          || Math.max(rgb[0], Math.max(rgb[1], rgb[2])) > 255) {
        throw new IllegalArgumentException(field + "." + name + " must be [r, g, b] in 0-255");
      }
      copy.put(name, rgb.clone());
    });
    return Collections.unmodifiableMap(copy);
  }
}
