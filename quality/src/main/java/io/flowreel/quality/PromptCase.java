package io.flowreel.quality;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** One line of the evaluation list ({@code tools/quality_prompts.jsonl}): a prompt, its seed and what it asks for. */
@JsonIgnoreProperties(ignoreUnknown = true)
public record PromptCase(String prompt, long seed, String colour, String shape, String motion, String background) {

  public PromptCase {
    if (prompt == null || prompt.isBlank() || colour == null || shape == null || motion == null || background == null) {
      throw new IllegalArgumentException("needs prompt, colour, shape, motion and background");
    }
  }

  public QualityReport.Attributes expected() {
    return new QualityReport.Attributes(colour, shape, motion, background);
  }

  public static List<PromptCase> readAll(Path jsonl) throws IOException {
    ObjectMapper json = new ObjectMapper();
    List<String> lines = Files.readAllLines(jsonl);
    List<PromptCase> cases = new ArrayList<>();
    for (int i = 0; i < lines.size(); i++) {
      if (lines.get(i).isBlank()) {
        continue;
      }
      try {
        cases.add(json.readValue(lines.get(i), PromptCase.class));
      } catch (JsonProcessingException e) {
        throw new IOException(jsonl + " line " + (i + 1) + ": " + e.getOriginalMessage(), e);
      }
    }
    return cases;
  }
}
