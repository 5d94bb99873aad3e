package io.flowreel.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code flowreel logs} over a data folder laid out as {@code flowreel up} leaves it. */
class LogsCommandTest {

  @TempDir Path data;
  private final CliRun cli = new CliRun();

  private Path log(String relative, String... lines) throws Exception {
    Path file = data.resolve(relative);
    Files.createDirectories(file.getParent());
    Files.writeString(file, String.join("\n", lines) + "\n");
    return file;
  }

  @Test
  void printsTheLastLinesOfAServiceAnInstanceOrTheBroker() throws Exception {
    log("logs/tracker-1.log", "one", "two", "three");
    log("logs/denoiser-2.log", "second denoiser");
    log("kafka/broker.log", "Kafka Server started");

    assertThat(cli.run("logs", "tracker", "-n", "2", "--data", data.toString())).isZero();
    assertThat(cli.out.toString()).isEqualTo("two\nthree\n");
    assertThat(cli.run("logs", "denoiser-2", "--data", data.toString())).isZero();
    assertThat(cli.run("logs", "kafka", "--data", data.toString())).isZero();
    assertThat(cli.out.toString()).endsWith("second denoiser\nKafka Server started\n");
  }

  @Test
  void anUnknownServiceOrAMissingLogIsSaidSo() {
    assertThat(cli.run("logs", "../../etc/passwd", "--data", data.toString())).isEqualTo(2);
    assertThat(cli.err.toString()).contains("no service '../../etc/passwd'");
    assertThat(cli.run("logs", "gateway", "--data", data.toString())).isEqualTo(1);
    assertThat(cli.err.toString()).contains("gateway-1.log does not exist");
  }

  @Test
  void followPrintsWhatIsWrittenAfterwardsUntilStopped() throws Exception {
    Path gateway = log("logs/gateway-1.log", "started");
    int[] exit = {-1};
    Thread following = new Thread(() -> exit[0] = cli.run("logs", "gateway", "--follow", "--data", data.toString()));
    following.start();
    try {
      await().atMost(Duration.ofSeconds(10)).until(() -> cli.out.toString().contains("started"));
      Files.writeString(gateway, "a request\n", StandardOpenOption.APPEND);
      await().atMost(Duration.ofSeconds(10)).until(() -> cli.out.toString().contains("a request"));
    } finally {
      following.interrupt();
      following.join(10_000);
    }
    assertThat(following.isAlive()).isFalse();
    assertThat(exit[0]).isZero();
  }
}
