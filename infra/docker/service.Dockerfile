# One Flowreel service (a stage, the tracker or the gateway) from its Quarkus fast-jar, built on the
# host first: mvn -B -DskipTests install. docker-compose.yml passes SERVICE (a folder under services/).
FROM eclipse-temurin:17.0.15_6-jre-jammy
ARG SERVICE
# curl answers the compose health checks.
RUN apt-get update && apt-get install -y --no-install-recommends curl && rm -rf /var/lib/apt/lists/*
WORKDIR /opt/flowreel
COPY models/ models/
COPY services/${SERVICE}/target/quarkus-app/ app/
ENV FLOWREEL_HOME=/opt/flowreel
USER 1001
ENTRYPOINT ["java", "-XX:MaxRAMPercentage=75", "-jar", "/opt/flowreel/app/quarkus-run.jar"]
