package io.flowreel.infra;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class FlowreelHomeTest {

  @Test
  void findsTheCheckoutAndTheServersClasspaths() {
    assertThat(FlowreelHome.locate().resolve("infra/topics.yaml")).isRegularFile();
    assertThat(FlowreelHome.serverClasspath("kafka-broker")).contains("kafka_2.13-4.4.0.jar");
    assertThat(FlowreelHome.serverClasspath("s3-server")).contains("s3proxy-4.1.0.jar");
  }

  @Test
  void saysHowToBuildAMissingClasspath() {
    assertThatThrownBy(() -> FlowreelHome.serverClasspath("no-such-server"))
        .hasMessageContaining("no-such-server/target/classpath.txt is missing")
        .hasMessageContaining("mvn -B -q install -pl infra/no-such-server");
  }
}
