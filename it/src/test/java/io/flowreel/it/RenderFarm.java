package io.flowreel.it;

import io.flowreel.contract.Stages;
import io.flowreel.infra.FlowreelHome;
import io.flowreel.infra.GatewayCredentials;
import io.flowreel.infra.LocalStack;
import io.flowreel.infra.ServiceProcess;
import io.flowreel.messages.ControlAction;
import io.flowreel.messages.ControlCommand;
import io.flowreel.messages.ControlTargetKind;
import io.flowreel.messages.DeadLetter;
import io.flowreel.messages.RenderTask;
import io.flowreel.messages.Stage;
import io.flowreel.messages.StageEvent;
import io.flowreel.messages.codec.MessageSerdes;
import io.flowreel.runtime.StageWorker;
import io.flowreel.contract.Topics;
import io.minio.GetObjectArgs;
import io.minio.ListObjectsArgs;
import io.minio.MinioClient;
import io.minio.PutObjectArgs;
import io.minio.Result;
import io.minio.messages.Item;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * The whole farm as operators run it ({@link LocalStack}: a Kafka broker, an S3 server and every
 * service in its own process), plus what a test needs to drive it (put tasks and control commands
 * on topics, read events and dead letters, read the buckets).
 */
final class RenderFarm implements AutoCloseable {

  static final String WORK_BUCKET = LocalStack.WORK_BUCKET;
  static final String OUTPUT_BUCKET = LocalStack.OUTPUT_BUCKET;
  /** How long a delivered task stays locked to its worker without renewal: a killed worker's task comes back after this. */
  static final Duration LOCK_DURATION = Duration.ofSeconds(5);
  private static final Duration READY_TIMEOUT = Duration.ofSeconds(180);
  private static final Map<String, String> TEST_ENV = Map.of(
      "FLOWREEL_LOCK_RENEWAL", "1s",
      // Every denoising step reports progress, so a test can count the steps run after a cancel.
      "FLOWREEL_PROGRESS_INTERVAL", "0s",
      "FLOWREEL_CHECKPOINT_EVERY", "5",
      "FLOWREEL_RETRY_BASE", "200ms",
      "FLOWREEL_RETRY_CAP", "1s");

  /** Service folder under services/ for each stage. */
  static final Map<Stage, String> SERVICES = servicesByStage();

  private final Path repo;
  private final LocalStack stack;
  private final KafkaProducer<String, byte[]> producer;
  private final MinioClient storage;
  private final TopicLog events;

  private RenderFarm(Path dir) throws Exception {
    repo = FlowreelHome.locate();
    stack = LocalStack.startServers(repo, dir);
    shortenLocks();
    producer = new KafkaProducer<>(Map.of("bootstrap.servers", stack.bootstrapServers(), "acks", "all"),
        new StringSerializer(), new ByteArraySerializer());
    storage = MinioClient.builder().endpoint(stack.s3().endpoint())
        .credentials(stack.s3().accessKey(), stack.s3().secretKey()).region("us-east-1").build();
    events = new TopicLog(stack.bootstrapServers(), Topics.EVENTS.name());
  }

  static RenderFarm start(Path dir, Map<Stage, Integer> instances) throws Exception {
    return start(dir, instances, false);
  }

  /**
   * Starts the infrastructure and {@code instances} processes per stage, with {@code withApi} also
   * the tracker and the gateway (all at once: they start in parallel), and returns when every one
   * is ready.
   */
  static RenderFarm start(Path dir, Map<Stage, Integer> instances, boolean withApi) throws Exception {
    return start(dir, instances, withApi, Map.of());
  }

  /** As {@link #start(Path, Map, boolean)}, with {@code env} added to every service's environment. */
  static RenderFarm start(Path dir, Map<Stage, Integer> instances, boolean withApi, Map<String, String> env)
      throws Exception {
    long t0 = System.nanoTime();
    RenderFarm farm = new RenderFarm(dir);
    long servers = System.nanoTime();
    try {
      Map<String, Integer> plan = new LinkedHashMap<>();
      instances.forEach((stage, n) -> plan.put(SERVICES.get(stage), n));
      plan.put(LocalStack.SCHEDULER, 1); // stages send their tasks on through it
      if (withApi) {
        plan.put(LocalStack.TRACKER, 1);
        plan.put(LocalStack.GATEWAY, 1);
      }
      List<ServiceProcess> started = farm.stack.startServices(
          new LocalStack.Plan(plan, 0, merged(TEST_ENV, env), ServiceProcess.SMALL_JVM, READY_TIMEOUT));
      System.out.printf("farm ready in %.1f s: broker and S3 %.1f s, %d services %.1f s%n", seconds(t0),
          (servers - t0) / 1e9, started.size(), seconds(servers));
      return farm;
    } catch (Exception | Error e) {
      farm.close();
      throw e;
    }
  }

  /**
   * A short lock makes a killed worker's task come back in seconds instead of the default 30 s;
   * the services renew theirs every second (FLOWREEL_LOCK_RENEWAL), so a live task keeps its lock.
   */
  private void shortenLocks() throws Exception {
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", stack.bootstrapServers()))) {
      Map<ConfigResource, Collection<AlterConfigOp>> configs = new LinkedHashMap<>();
      for (Stage stage : SERVICES.keySet()) {
        configs.put(new ConfigResource(ConfigResource.Type.GROUP, Stages.workerGroup(stage)), List.of(
            new AlterConfigOp(new ConfigEntry("share.record.lock.duration.ms", Long.toString(LOCK_DURATION.toMillis())),
                AlterConfigOp.OpType.SET)));
      }
      admin.incrementalAlterConfigs(configs).all().get(30, TimeUnit.SECONDS);
    }
  }

  /** One instance of every stage. */
  static Map<Stage, Integer> oneOfEachStage() {
    Map<Stage, Integer> one = new LinkedHashMap<>();
    StagesOnTheBusIT.ALL_STAGES.forEach(stage -> one.put(stage, 1));
    return one;
  }

  private static Map<String, String> merged(Map<String, String> base, Map<String, String> extra) {
    Map<String, String> all = new LinkedHashMap<>(base);
    all.putAll(extra);
    return all;
  }

  /** From now on a service process that exits is restarted, as under {@code flowreel up}. */
  void supervise() {
    stack.supervise(line -> System.out.println("supervisor: " + line));
  }

  /** Stops the broker and starts it again on the same data and port. */
  void restartBroker() {
    stack.restartBroker();
  }

  /** Freezes (SIGSTOP) or thaws (SIGCONT) the S3 server: an outage in which connections hang, not fail. */
  void freezeStorage(boolean frozen) throws Exception {
    Process kill = new ProcessBuilder("kill", frozen ? "-STOP" : "-CONT", Long.toString(stack.s3().pid()))
        .inheritIO().start();
    if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
      throw new IllegalStateException("kill " + (frozen ? "-STOP" : "-CONT") + " of the S3 server failed");
    }
  }

  /** Every service process now known (restarted ones replace the processes they follow). */
  List<ServiceProcess> services() {
    return stack.services();
  }

  /** The gateway's keys: the local operator key, and new keys for more studios. */
  GatewayCredentials credentials() {
    return stack.credentials();
  }

  /** The gateway's base address; only in a farm started with the API. */
  String gatewayUrl() {
    return stack.gatewayUrl();
  }

  Path repo() {
    return repo;
  }

  ServiceProcess worker(String workerId) {
    return stack.services().stream().filter(s -> s.instanceId().equals(workerId)).findFirst()
        .orElseThrow(() -> new IllegalArgumentException("no service process " + workerId + " in "
            + stack.services()));
  }

  List<ServiceProcess> running(Stage stage) {
    return stack.services().stream().filter(s -> s.service().equals(SERVICES.get(stage)) && s.isAlive()).toList();
  }

  /** Puts stage events on {@code flowreel.events} as the stages would, and waits until the broker has them all. */
  void sendEvents(List<StageEvent> events) {
    for (StageEvent event : events) {
      producer.send(new ProducerRecord<>(Topics.EVENTS.name(), event.getJobId(), Topics.EVENTS.serializeValue(event)));
    }
    producer.flush();
  }

  /** Puts a task on {@code stage}'s topic, as the scheduler would admit it (without waiting for a free worker). */
  void submit(Stage stage, RenderTask task) throws Exception {
    String topic = Topics.tasks(stage).name();
    producer.send(new ProducerRecord<>(topic, task.getSpec().getJobId(),
        MessageSerdes.renderTask().serialize(topic, task))).get(30, TimeUnit.SECONDS);
  }

  void cancel(String jobId) throws Exception {
    ControlCommand command = ControlCommand.newBuilder().setTargetId(jobId).setTargetKind(ControlTargetKind.JOB)
        .setAction(ControlAction.CANCEL).setReason("cancelled by test").setTimeMillis(System.currentTimeMillis())
        .build();
    producer.send(new ProducerRecord<>(Topics.CONTROL.name(), jobId,
        Topics.CONTROL.serializeValue(command))).get(30, TimeUnit.SECONDS);
  }

  /** Every lifecycle event so far; one job's in the order sent. */
  List<StageEvent> allEvents() {
    return events.all().stream().map(r -> Topics.EVENTS.deserializeValue(r.value())).toList();
  }

  /** The job's lifecycle events so far, in the order the stages sent them. */
  List<StageEvent> events(String jobId) {
    return events.withKey(jobId).stream()
        .map(r -> Topics.EVENTS.deserializeValue(r.value())).toList();
  }

  List<DeadLetter> deadLetters(Stage stage, String jobId) {
    String topic = Topics.deadLetters(stage).name();
    return read(topic).stream().filter(r -> jobId.equals(r.key()))
        .filter(r -> r.headers().lastHeader("flowreel.error") == null) // raw records are not DeadLetters
        .map(r -> MessageSerdes.deadLetter().deserialize(topic, r.value())).toList();
  }

  List<RenderTask> tasks(Stage stage, String jobId) {
    String topic = Topics.tasks(stage).name();
    return read(topic).stream().filter(r -> jobId.equals(r.key()))
        .map(r -> MessageSerdes.renderTask().deserialize(topic, r.value())).toList();
  }

  /** Everything committed on a topic so far, read without a group (aborted transactions left out). */
  List<ConsumerRecord<String, byte[]>> readCommitted(String topic) {
    return read(topic, "read_committed");
  }

  /** Everything on a topic so far, read without a group. */
  private List<ConsumerRecord<String, byte[]>> read(String topic) {
    return read(topic, "read_uncommitted");
  }

  private List<ConsumerRecord<String, byte[]>> read(String topic, String isolation) {
    try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(
        Map.of("bootstrap.servers", stack.bootstrapServers(), "isolation.level", isolation),
        new StringDeserializer(), new ByteArrayDeserializer())) {
      List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
          .map(p -> new TopicPartition(topic, p.partition())).toList();
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
      List<ConsumerRecord<String, byte[]>> out = new ArrayList<>();
      while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
        consumer.poll(Duration.ofMillis(200)).forEach(out::add);
      }
      return out;
    }
  }

  byte[] getObject(String bucket, String key) throws Exception {
    try (InputStream in = storage.getObject(GetObjectArgs.builder().bucket(bucket).object(key).build())) {
      return in.readAllBytes();
    }
  }

  void putObject(String bucket, String key, byte[] bytes) throws Exception {
    storage.putObject(PutObjectArgs.builder().bucket(bucket).object(key)
        .stream(new ByteArrayInputStream(bytes), bytes.length, -1).build());
  }

  /** Keys in {@code bucket} under {@code prefix}. */
  List<String> keys(String bucket, String prefix) throws Exception {
    List<String> keys = new ArrayList<>();
    for (Result<Item> item : storage.listObjects(ListObjectsArgs.builder().bucket(bucket).prefix(prefix)
        .recursive(true).build())) {
      keys.add(item.get().objectName());
    }
    return keys;
  }

  /** Total size of the objects in {@code bucket} under {@code prefix}. */
  long bytes(String bucket, String prefix) throws Exception {
    long total = 0;
    for (Result<Item> item : storage.listObjects(ListObjectsArgs.builder().bucket(bucket).prefix(prefix)
        .recursive(true).build())) {
      total += item.get().size();
    }
    return total;
  }

  /** Stops every service, then the servers. Safe to call on a half-started farm. */
  @Override
  public void close() {
    events.close();
    producer.close(Duration.ofSeconds(5));
    try {
      storage.close();
    } catch (Exception e) {
      // only its idle connections
    }
    stack.close();
  }

  static double seconds(long sinceNanos) {
    return (System.nanoTime() - sinceNanos) / 1e9;
  }

  private static Map<Stage, String> servicesByStage() {
    Map<Stage, String> services = new LinkedHashMap<>();
    Stages.PIPELINE.forEach(stage -> services.put(stage, LocalStack.serviceOf(stage)));
    return services;
  }
}
