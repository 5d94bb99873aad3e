package io.flowreel.quality;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Scores measured clips against their prompts: accuracy per attribute, a confusion table per attribute
 * (rows: what the prompt asked, columns: what the clip shows) and the misses, as text, Markdown and JSON.
 * Colour, shape and motion are what the model is judged on; the background is scored as information.
 */
public final class QualityReport {

  static final List<String> ATTRIBUTES = List.of("colour", "shape", "motion", "background");

  /** The four things a prompt asks for, or a clip shows ({@link Measurement#NONE} where no object was found). */
  public record Attributes(String colour, String shape, String motion, String background) {

    static Attributes of(Measurement m) {
      return new Attributes(m.colour(), m.shape(), m.motion(), m.background());
    }

    String get(String attribute) {
      return switch (attribute) {
        case "colour" -> colour;
        case "shape" -> shape;
        case "motion" -> motion;
        case "background" -> background;
        default -> throw new IllegalArgumentException("no attribute " + attribute);
      };
    }

    @Override
    public String toString() {
      return colour + " " + shape + " " + motion + " on " + background;
    }
  }

  public record ClipResult(String prompt, long seed, String video, Attributes expected, Attributes measured,
      Measurement measurement) {

    @JsonProperty("wrong")
    public List<String> wrong() {
      return ATTRIBUTES.stream().filter(a -> !expected.get(a).equals(measured.get(a))).toList();
    }
  }

  public record Score(int correct, int total) {

    @JsonProperty("accuracy")
    public double accuracy() {
      return total == 0 ? 0 : (double) correct / total;
    }

    String text() {
      return String.format(Locale.ROOT, "%d/%d (%.1f%%)", correct, total, 100 * accuracy());
    }
  }

  private final Map<String, List<String>> labels = new LinkedHashMap<>();
  private final List<ClipResult> clips = new ArrayList<>();

  public QualityReport(World world) {
    labels.put("colour", List.copyOf(world.objectColours().keySet()));
    labels.put("shape", world.shapes());
    labels.put("motion", world.motions());
    labels.put("background", List.copyOf(world.backgroundColours().keySet()));
  }

  public void add(PromptCase prompt, String video, Measurement measurement) {
    clips.add(new ClipResult(prompt.prompt(), prompt.seed(), video, prompt.expected(), Attributes.of(measurement),
        measurement));
  }

  public List<ClipResult> clips() {
    return List.copyOf(clips);
  }

  public Score score(String attribute) {
    int correct = (int) clips.stream().filter(c -> c.expected().get(attribute).equals(c.measured().get(attribute)))
        .count();
    return new Score(correct, clips.size());
  }

  public Score objectsFound() {
    return new Score((int) clips.stream().filter(c -> c.measurement().objectFound()).count(), clips.size());
  }

  /** Counts by expected, then measured value; every label of the world, plus any other value measured. */
  public Map<String, Map<String, Integer>> confusion(String attribute) {
    List<String> names = names(attribute);
    Map<String, Map<String, Integer>> table = new LinkedHashMap<>();
    for (String expected : names) {
      Map<String, Integer> row = new LinkedHashMap<>();
      names.forEach(measured -> row.put(measured, 0));
      table.put(expected, row);
    }
    for (ClipResult c : clips) {
      table.get(c.expected().get(attribute)).merge(c.measured().get(attribute), 1, Integer::sum);
    }
    return table;
  }

  public List<ClipResult> misses() {
    return clips.stream().filter(c -> !c.wrong().isEmpty()).toList();
  }

  /** What report.json holds. */
  public Map<String, Object> json() {
    Map<String, Object> totals = new LinkedHashMap<>();
    ATTRIBUTES.forEach(a -> totals.put(a, score(a)));
    totals.put("objectsFound", objectsFound());
    Map<String, Object> confusion = new LinkedHashMap<>();
    ATTRIBUTES.forEach(a -> confusion.put(a, confusion(a)));
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("totals", totals);
    json.put("confusion", confusion);
    json.put("clips", clips);
    return json;
  }

  public String text() {
    StringBuilder out = new StringBuilder();
    for (String a : ATTRIBUTES) {
      out.append(a).append(' ').append(score(a).text()).append(a.equals("background") ? " (information)" : "")
          .append('\n');
    }
    out.append("objects found ").append(objectsFound().text()).append('\n');
    for (String a : ATTRIBUTES) {
      out.append('\n').append(a).append(" confusion (rows: prompt, columns: measured)\n");
      Map<String, Map<String, Integer>> table = confusion(a);
      List<String> names = names(a);
      int width = Math.max(6, names.stream().mapToInt(String::length).max().orElse(0) + 1);
      out.append(pad("", width));
      names.forEach(n -> out.append(pad(n, width)));
      out.append('\n');
      table.forEach((expected, row) -> {
        out.append(pad(expected, width));
        row.values().forEach(count -> out.append(pad(count.toString(), width)));
        out.append('\n');
      });
    }
    List<ClipResult> misses = misses();
    out.append("\nmisses: ").append(misses.size()).append('\n');
    for (ClipResult c : misses) {
      out.append(String.format(Locale.ROOT, "  \"%s\" (seed %d): expected %s, measured %s; wrong: %s%n", c.prompt(),
          c.seed(), c.expected(), c.measured(), String.join(", ", c.wrong())));
    }
    return out.toString();
  }

  public String markdown() {
    StringBuilder md = new StringBuilder();
    md.append("| attribute | correct | accuracy |\n|---|---:|---:|\n");
    for (String a : ATTRIBUTES) {
      Score s = score(a);
      md.append(String.format(Locale.ROOT, "| %s | %d/%d | %.1f%% |%n", a.equals("background")
          ? "background (information)" : a, s.correct(), s.total(), 100 * s.accuracy()));
    }
    Score found = objectsFound();
    md.append(String.format(Locale.ROOT, "| object found | %d/%d | %.1f%% |%n", found.correct(), found.total(),
        100 * found.accuracy()));
    for (String a : ATTRIBUTES) {
      md.append("\n**").append(a).append("** (rows: prompt, columns: measured)\n\n| |");
      List<String> names = names(a);
      names.forEach(n -> md.append(' ').append(n).append(" |"));
      md.append("\n|---|").append("---:|".repeat(names.size())).append('\n');
      confusion(a).forEach((expected, row) -> {
        md.append("| ").append(expected).append(" |");
        row.values().forEach(count -> md.append(' ').append(count).append(" |"));
        md.append('\n');
      });
    }
    List<ClipResult> misses = misses();
    md.append("\n**Misses** (").append(misses.size()).append(")\n");
    if (!misses.isEmpty()) {
      md.append("\n| prompt | seed | expected | measured | wrong |\n|---|---:|---|---|---|\n");
      for (ClipResult c : misses) {
        md.append(String.format(Locale.ROOT, "| %s | %d | %s | %s | %s |%n", c.prompt().replace("|", "\\|"),
            c.seed(), c.expected(), c.measured(), String.join(", ", c.wrong())));
      }
    }
    return md.toString();
  }

  /** The world's names for an attribute, then any other value seen (a name the world lacks, or "none"). */
  private List<String> names(String attribute) {
    List<String> names = new ArrayList<>(labels.get(attribute));
    for (ClipResult c : clips) {
      for (String value : List.of(c.expected().get(attribute), c.measured().get(attribute))) {
        if (!names.contains(value)) {
          names.add(value);
        }
      }
    }
    return names;
  }

  private static String pad(String s, int width) {
    return String.format(Locale.ROOT, "%" + width + "s", s);
  }
}
