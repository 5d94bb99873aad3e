package io.flowreel.quality;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

class QualityReportTest {

  private static final World WORLD = SyntheticClips.world();

  private static Measurement seen(String colour, String shape, String motion, String background) {
    return new Measurement(background, new Rgb(120, 120, 120), 17, new Measurement.DetectedObject(colour, shape,
        motion, new Rgb(225, 35, 35), 0.78, 0.25, 0.0, 0.03, 17));
  }

  private static QualityReport threeClips() {
    QualityReport report = new QualityReport(WORLD);
    report.add(new PromptCase("a red ball going right on a gray floor", 1, "red", "circle", "right", "gray"), "a.mp4",
        seen("red", "circle", "right", "gray"));
    report.add(new PromptCase("a red box | sliding left", 2, "red", "square", "left", "gray"), "b.mp4",
        seen("red", "circle", "left", "gray"));
    report.add(new PromptCase("a blue triangle rising", 3, "blue", "triangle", "up", "black"), "c.mp4",
        new Measurement("black", new Rgb(18, 18, 18), 17, null));
    return report;
  }

  @Test
  void scoresEachAttribute() {
    QualityReport report = threeClips();

    assertThat(report.score("colour")).isEqualTo(new QualityReport.Score(2, 3));
    assertThat(report.score("shape")).isEqualTo(new QualityReport.Score(1, 3));
    assertThat(report.score("motion")).isEqualTo(new QualityReport.Score(2, 3));
    assertThat(report.score("background")).isEqualTo(new QualityReport.Score(3, 3));
    assertThat(report.objectsFound()).isEqualTo(new QualityReport.Score(2, 3));
    assertThat(report.confusion("shape").get("square")).containsEntry("circle", 1).containsEntry("square", 0);
    assertThat(report.confusion("shape").get("triangle")).containsEntry(Measurement.NONE, 1);
    assertThat(report.confusion("colour").get("red")).containsEntry("red", 2);
    assertThat(report.misses()).extracting(QualityReport.ClipResult::seed).containsExactly(2L, 3L);
    assertThat(report.misses().get(0).wrong()).containsExactly("shape");
    assertThat(report.misses().get(1).wrong()).containsExactly("colour", "shape", "motion");
  }

  @Test
  void printsTextAndMarkdown() {
    QualityReport report = threeClips();

    assertThat(report.text()).contains("colour 2/3 (66.7%)\n", "shape 1/3 (33.3%)\n", "motion 2/3 (66.7%)\n",
        "background 3/3 (100.0%) (information)\n", "misses: 2\n",
        "expected red square left on gray, measured red circle left on gray; wrong: shape");
    assertThat(report.markdown()).contains("| colour | 2/3 | 66.7% |", "| object found | 2/3 | 66.7% |",
        "| square | 1 | 0 | 0 | 0 |", "| a red box \\| sliding left | 2 |");
  }

  @Test
  void jsonHoldsTotalsAndEveryClip() throws Exception {
    ObjectMapper mapper = new ObjectMapper();
    JsonNode json = mapper.readTree(mapper.writeValueAsString(threeClips().json()));

    assertThat(json.at("/totals/shape/correct").asInt()).isEqualTo(1);
    assertThat(json.at("/totals/shape/accuracy").asDouble()).isEqualTo(1.0 / 3);
    assertThat(json.at("/confusion/shape/square/circle").asInt()).isEqualTo(1);
    assertThat(json.get("clips")).hasSize(3);
    assertThat(json.at("/clips/1/wrong/0").asText()).isEqualTo("shape");
    assertThat(json.at("/clips/1/expected/shape").asText()).isEqualTo("square");
    assertThat(json.at("/clips/1/measurement/object/fillRatio").asDouble()).isEqualTo(0.78);
    assertThat(json.at("/clips/2/measurement/object").isNull()).isTrue();
    assertThat(json.at("/clips/2/measured/colour").asText()).isEqualTo(Measurement.NONE);
  }
}
