package io.flowreel.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A crash of the whole machine loses no queued work: {@code flowreel up} and every process under it
 * are killed with SIGKILL in the middle of a batch, {@code up} is started again on the same data
 * folder, and every job finishes, each published once, by its first attempt.
 */
class UpSurvivesAKilledMachineTest {

  private static final String JOBS = """
      {"defaults": {"width": 64, "height": 64, "frames": 5, "steps": 3},
       "jobs": [{"prompt": "a red ball", "seed": 1}, {"prompt": "a blue box", "seed": 2},
                {"prompt": "a green triangle", "seed": 3}, {"prompt": "a yellow ball", "seed": 4}]}
      """;

  @TempDir Path dir;

  @Test
  void killNineOfTheWholeFarmMidBatchThenUpAgainFinishesEveryJobOnce() throws Exception {
    Path state = dir.resolve("state");
    UpProcess first = UpProcess.start(state);
    GatewayClient gateway = new GatewayClient(first.gateway(), "cli");
    JsonNode submitted = gateway.submit(JOBS.getBytes(StandardCharsets.UTF_8), "application/json", null);
    List<String> jobs = new ArrayList<>();
    submitted.path("jobIds").forEach(id -> jobs.add(id.asText()));
    assertThat(jobs).hasSize(4);
    // Mid-batch: some job is at work, none has to be done yet.
    await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(200))
        .until(() -> jobs.stream().anyMatch(id -> state(gateway, id).equals("RUNNING")));

    List<ProcessHandle> killed = first.killTree();
    await().atMost(Duration.ofSeconds(30)).until(() -> killed.stream().noneMatch(ProcessHandle::isAlive));

    UpProcess second = UpProcess.start(state);
    try {
      GatewayClient again = new GatewayClient(second.gateway(), "cli");
      // The tasks the killed workers held are handed out again by the restarted broker.
      await().atMost(Duration.ofMinutes(4)).pollInterval(Duration.ofSeconds(1))
          .until(() -> jobs.stream().allMatch(id -> state(again, id).equals("SUCCEEDED")));
      for (String id : jobs) {
        JsonNode job = again.job(id);
        assertThat(job.path("attempt").asInt()).as(id).isEqualTo(1);
        List<String> outputs = new ArrayList<>();
        job.path("outputs").forEach(o -> outputs.add(o.path("name").asText()));
        assertThat(outputs).as(id + ": published once").containsExactlyInAnyOrder("video", "poster", "manifest");
      }
    } finally {
      second.process().destroy();
      assertThat(second.process().waitFor(90, TimeUnit.SECONDS)).as(second.output()).isTrue();
    }
  }

  private static String state(GatewayClient gateway, String id) {
    try {
      return gateway.job(id).path("state").asText();
    } catch (GatewayClient.GatewayException e) {
      return "UNREACHABLE: " + e.getMessage();
    }
  }
}
