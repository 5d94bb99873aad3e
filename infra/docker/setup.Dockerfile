# The one-shot set-up (topics of infra/topics.yaml, buckets) from services/setup, built on the host
# first: mvn -B -DskipTests install.
FROM eclipse-temurin:17.0.15_6-jre-jammy
WORKDIR /opt/flowreel
COPY services/setup/target/lib/ lib/
COPY services/setup/target/flowreel-setup-*.jar lib/
USER 1001
ENTRYPOINT ["java", "-cp", "/opt/flowreel/lib/*", "io.flowreel.setup.Setup"]
