package io.flowreel.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code flowreel logs} over a data folder laid out as {@code flowreel up} leaves it. */
class LogsCommandTest {

  @TempDir Path data;
  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  private int run(String... args) {
    CommandLine cli = FlowreelCli.commandLine();
    cli.setOut(new PrintWriter(out, true));
    cli.setErr(new PrintWriter(err, true));
    return cli.execute(args);
  }

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

    assertThat(run("logs", "tracker", "-n", "2", "--data", data.toString())).isZero();
    assertThat(out.toString()).isEqualTo("two\nthree\n");
    assertThat(run("logs", "denoiser-2", "--data", data.toString())).isZero();
    assertThat(run("logs", "kafka", "--data", data.toString())).isZero();
    assertThat(out.toString()).endsWith("second denoiser\nKafka Server started\n");
  }

  @Test
  void anUnknownServiceOrAMissingLogIsSaidSo() {
    assertThat(run("logs", "../../etc/passwd", "--data", data.toString())).isEqualTo(2);
    assertThat(err.toString()).contains("no service '../../etc/passwd'");
    assertThat(run("logs", "gateway", "--data", data.toString())).isEqualTo(1);
    assertThat(err.toString()).contains("gateway-1.log does not exist");
  }

  @Test
  void followPrintsWhatIsWrittenAfterwardsUntilStopped() throws Exception {
    Path gateway = log("logs/gateway-1.log", "started");
    int[] exit = {-1};
    Thread following = new Thread(() -> exit[0] = run("logs", "gateway", "--follow", "--data", data.toString()));
    following.start();
    try {
      await().atMost(Duration.ofSeconds(10)).until(() -> out.toString().contains("started"));
      Files.writeString(gateway, "a request\n", StandardOpenOption.APPEND);
      await().atMost(Duration.ofSeconds(10)).until(() -> out.toString().contains("a request"));
    } finally {
      following.interrupt();
      following.join(10_000);
    }
    assertThat(following.isAlive()).isFalse();
    assertThat(exit[0]).isZero();
  }
}
