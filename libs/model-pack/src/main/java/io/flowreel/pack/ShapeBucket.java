package io.flowreel.pack;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One output shape a GPU deployment builds engines for: final width x height x frames, as a job
 * asks for them with the upsampler on ({@code 256x256x17}).
 */
public record ShapeBucket(int width, int height, int frames) {

  private static final Pattern FORM = Pattern.compile("\\s*(\\d{1,5})x(\\d{1,5})x(\\d{1,5})\\s*");

  public static ShapeBucket parse(String text) {
    Matcher m = FORM.matcher(text);
    if (!m.matches()) {
      throw new IllegalArgumentException("shape bucket '" + text + "' must be WIDTHxHEIGHTxFRAMES, e.g. 256x256x17");
    }
    return new ShapeBucket(Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)), Integer.parseInt(m.group(3)));
  }

  @Override
  public String toString() {
    return width + "x" + height + "x" + frames;
  }
}
