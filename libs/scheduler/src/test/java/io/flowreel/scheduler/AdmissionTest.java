package io.flowreel.scheduler;

import static org.assertj.core.api.Assertions.assertThat;

import io.flowreel.contract.Stages;
import io.flowreel.contract.TenantSettings;
import io.flowreel.contract.Topics;
import io.flowreel.messages.ControlAction;
import io.flowreel.messages.ControlCommand;
import io.flowreel.messages.ControlTargetKind;
import io.flowreel.messages.JobSpec;
import io.flowreel.messages.RenderTask;
import io.flowreel.messages.SchedulerInput;
import io.flowreel.messages.SchedulerInputKind;
import io.flowreel.messages.Stage;
import io.flowreel.messages.StageEvent;
import io.flowreel.messages.StageEventType;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The admission order on Kafka Streams' test driver: no broker, a stage's workers set by the test. */
class AdmissionTest {

  private static final Instant T0 = Instant.parse("2026-12-06T00:00:00Z");

  @TempDir
  Path stateDir;

  private final Map<Stage, Integer> workers = new EnumMap<>(Stage.class);
  private final StageBacklog backlog = new StageBacklog();
  private TopologyTestDriver driver;
  private TestInputTopic<String, SchedulerInput> schedule;
  private TestInputTopic<String, ControlCommand> control;
  private TestOutputTopic<String, byte[]> encodeTasks;
  private TestOutputTopic<String, byte[]> events;

  private void start(SchedulingRules rules) {
    Properties props = new Properties();
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, "flowreel-scheduler-test");
    props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
    props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
    props.putAll(SchedulerTopology.errorHandling());
    driver = new TopologyTestDriver(SchedulerTopology.build(stage -> workers.getOrDefault(stage, 0), rules, backlog), props, T0);
    schedule = driver.createInputTopic(Topics.SCHEDULE.name(), new StringSerializer(),
        Topics.SCHEDULE.valueSerde().serializer(), T0, Duration.ZERO);
    control = driver.createInputTopic(Topics.CONTROL.name(), new StringSerializer(),
        Topics.CONTROL.valueSerde().serializer(), T0, Duration.ZERO);
    encodeTasks = driver.createOutputTopic(Topics.tasks(Stage.ENCODE).name(), new StringDeserializer(),
        new ByteArrayDeserializer());
    events = driver.createOutputTopic(Topics.EVENTS.name(), new StringDeserializer(), new ByteArrayDeserializer());
  }

  @AfterEach
  void close() {
    if (driver != null) {
      driver.close();
    }
  }

  @Test
  void aHigherPriorityGoesFirstAndEqualPrioritiesInArrivalOrder() {
    workers.put(Stage.ENCODE, 1);
    start(SchedulingRules.DEFAULTS);
    waiting(task("a-1", "studio", 0), task("a-2", "studio", 0), task("a-3", "studio", 0), task("urgent", "studio", 9),
        task("a-4", "studio", 5));
    assertThat(admitted()).containsExactly("a-1");
    finished("a-1");
    assertThat(admitted()).containsExactly("urgent");
    finished("urgent");
    finished("urgent"); // twice, as a stage that repeated its work sends it: frees one slot only
    assertThat(admitted()).containsExactly("a-4");
    workers.put(Stage.ENCODE, 2);
    tick();
    assertThat(admitted()).containsExactly("a-2");
    finished("a-4");
    finished("a-2");
    assertThat(admitted()).containsExactly("a-3");
  }

  @Test
  void theBacklogCountsWaitingAndAdmittedTasksPerStageButNotPausedOnes() {
    workers.put(Stage.ENCODE, 2);
    start(SchedulingRules.DEFAULTS);
    waiting(task("a-000001", "studio", 0, "a"), task("a-000002", "studio", 0, "a"), task("a-000003", "studio", 0, "a"),
        task("b-000001", "other", 0, "b"), task("b-000002", "other", 0, "b"));
    assertThat(admitted()).containsExactly("a-000001", "a-000002");
    tick();
    assertThat(backlog.of(Stage.ENCODE)).isEqualTo(new StageBacklog.Counts(3, 2));
    assertThat(backlog.of(Stage.DENOISE)).isEqualTo(new StageBacklog.Counts(0, 0));
    controlAt(command("b", ControlTargetKind.BATCH, ControlAction.PAUSE, null));
    assertThat(notes()).containsExactly("b-000001 PAUSED", "b-000002 PAUSED");
    tick();
    assertThat(backlog.of(Stage.ENCODE)).as("a paused batch's tasks are not backlog")
        .isEqualTo(new StageBacklog.Counts(1, 2));
    finished("a-000001");
    assertThat(admitted()).containsExactly("a-000003");
    controlAt(command("b", ControlTargetKind.BATCH, ControlAction.RESUME, null));
    tick();
    assertThat(backlog.of(Stage.ENCODE)).isEqualTo(new StageBacklog.Counts(2, 2));
  }

  @Test
  void tenantsWithWorkWaitingShareAStageByTheirWeights() {
    workers.put(Stage.ENCODE, 1);
    start(rules("big=2", "", 0, Duration.ofHours(1), 10));
    List<RenderTask> tasks = new ArrayList<>();
    for (int i = 0; i < 30; i++) {
      tasks.add(task("big-" + i, "big", 0));
    }
    for (int i = 0; i < 10; i++) {
      tasks.add(task("small-" + i, "small", 0));
    }
    waiting(tasks.toArray(RenderTask[]::new));
    List<String> order = new ArrayList<>(admitted());
    for (int i = 0; i < 29; i++) {
      finished(order.get(order.size() - 1));
      order.addAll(admitted());
    }
    // "big" came first and has weight 2: two of its tasks for each of "small"'s, from the start.
    List<String> window = order.subList(0, 30);
    assertThat(window.stream().filter(id -> id.startsWith("small")).count()).isEqualTo(10);
    assertThat(order.subList(0, 6)).containsExactly("big-0", "small-0", "big-1", "big-2", "small-1", "big-3");
  }

  @Test
  void aTenantBackFromIdleStartsLevelWithTheOthersWithoutASavedUpCredit() {
    workers.put(Stage.ENCODE, 1);
    start(SchedulingRules.DEFAULTS);
    List<RenderTask> tasksOfA = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      tasksOfA.add(task("a-" + i, "a", 0));
    }
    waiting(tasksOfA.toArray(RenderTask[]::new));
    waiting(task("b-0", "b", 0));
    List<String> order = new ArrayList<>(admitted());
    for (int i = 0; i < 20; i++) {
      finished(order.get(order.size() - 1));
      order.addAll(admitted());
    }
    assertThat(order).contains("b-0").hasSize(21);
    waiting(task("b-1", "b", 0), task("b-2", "b", 0), task("b-3", "b", 0));
    List<String> after = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      finished(i == 0 ? order.get(order.size() - 1) : after.get(after.size() - 1));
      after.addAll(admitted());
    }
    // Had "b" kept its credit from the 19 tasks of "a" admitted while it had none waiting, it would have taken all four.
    assertThat(after).filteredOn(id -> id.startsWith("b")).hasSize(2);
  }

  @Test
  void cancelledTasksAreDroppedWithTheirEventAndSupersededOnesSilentlyWithoutTakingASlot() {
    workers.put(Stage.ENCODE, 1);
    start(SchedulingRules.DEFAULTS);
    control.pipeInput("batch-x", command("batch-x", ControlTargetKind.BATCH, ControlAction.CANCEL, null));
    control.pipeInput("old", command("old", ControlTargetKind.JOB, ControlAction.RESUME, 2));
    RenderTask oldAttempt = task("old", "studio", 0);
    waiting(task("x-1", "studio", 0, "batch-x"), oldAttempt, task("x-2", "studio", 0, "batch-x"),
        task("live", "studio", 0));
    assertThat(admitted()).containsExactly("live");
    List<StageEvent> sent = events.readValuesToList().stream()
        .map(bytes -> Topics.EVENTS.deserializeValue(bytes)).toList();
    assertThat(sent).extracting(e -> e.getJobId().toString()).containsExactly("x-1", "x-2");
    assertThat(sent).allSatisfy(e -> {
      assertThat(e.getType()).isEqualTo(StageEventType.CANCELLED);
      assertThat(e.getStage()).isEqualTo(Stage.ENCODE);
      assertThat(e.getWorker()).isEqualTo(Admission.WORKER);
    });
  }

  @Test
  void aTaskSentTwiceWaitsOnceAndNothingIsAdmittedToAStageWithoutWorkers() {
    start(SchedulingRules.DEFAULTS);
    waiting(task("a", "studio", 0), task("a", "studio", 0));
    tick();
    assertThat(admitted()).isEmpty();
    workers.put(Stage.ENCODE, 3);
    tick();
    assertThat(admitted()).containsExactly("a");
  }

  @Test
  void lookaheadAdmitsThatManyTasksBeyondTheWorkers() {
    workers.put(Stage.ENCODE, 2);
    start(rules("", "", 1, Duration.ofMinutes(10), 10));
    waiting(task("a", "s", 0), task("b", "s", 0), task("c", "s", 0), task("d", "s", 0));
    assertThat(admitted()).containsExactly("a", "b", "c");
  }

  @Test
  void anAgedTaskGetsEveryNthAdmissionWhateverItsPriority() {
    workers.put(Stage.ENCODE, 1);
    start(rules("", "", 0, Duration.ofMinutes(10), 3));
    waiting(task("busy", "s", 0), task("low", "s", 0));
    driver.advanceWallClockTime(Duration.ofMinutes(11));
    List<RenderTask> high = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      high.add(task("high-" + i, "s", 9));
    }
    waiting(high.toArray(RenderTask[]::new));
    List<String> order = new ArrayList<>(admitted());
    for (int i = 0; i < 5; i++) {
      finished(order.get(order.size() - 1));
      order.addAll(admitted());
    }
    // Every third admission may go to an aged task: "busy" and "high-0" went first, then "low".
    assertThat(order).containsExactly("busy", "high-0", "low", "high-1", "high-2", "high-3");
  }

  @Test
  void aTenantAtItsRunningQuotaGetsNoMoreWhateverItsPriorityOrAge() {
    workers.put(Stage.ENCODE, 3);
    start(rules("", "capped=1", 0, Duration.ofMinutes(10), 2));
    waiting(task("capped-0", "capped", 9), task("capped-1", "capped", 9), task("capped-2", "capped", 9));
    driver.advanceWallClockTime(Duration.ofMinutes(11)); // every other admission may go to an aged task
    waiting(task("other-0", "other", 0), task("other-1", "other", 0), task("other-2", "other", 0));
    assertThat(admitted()).containsExactly("capped-0", "other-0", "other-1");
    finished("other-0");
    assertThat(admitted()).as("the aged capped-1 may not start while capped-0 runs").containsExactly("other-2");
    finished("capped-0");
    assertThat(admitted()).containsExactly("capped-1");
    finished("other-1");
    tick();
    assertThat(admitted()).isEmpty();
  }

  @Test
  void aPausedBatchIsHeldUntilResumedAndAPausedJobOfItStaysHeld() {
    workers.put(Stage.ENCODE, 1);
    start(SchedulingRules.DEFAULTS);
    waiting(task("b-000000", "s", 0, "b"), task("b-000001", "s", 0, "b"), task("b-000002", "s", 0, "b"),
        task("other", "s", 0));
    assertThat(admitted()).containsExactly("b-000000");
    controlAt(command("b", ControlTargetKind.BATCH, ControlAction.PAUSE, null));
    controlAt(command("b-000002", ControlTargetKind.JOB, ControlAction.PAUSE, null));
    waiting(task("b-000003", "s", 9, "b")); // arrives paused
    assertThat(notes()).containsExactly("b-000001 PAUSED", "b-000002 PAUSED", "b-000003 PAUSED");
    finished("b-000000"); // running when paused: it finished its stage
    assertThat(admitted()).containsExactly("other");
    finished("other");
    tick();
    assertThat(admitted()).as("nothing but held tasks waits").isEmpty();

    controlAt(command("b", ControlTargetKind.BATCH, ControlAction.RESUME, null));
    assertThat(notes()).containsExactly("b-000001 RESUMED", "b-000003 RESUMED");
    assertThat(admitted()).containsExactly("b-000003");
    finished("b-000003");
    assertThat(admitted()).containsExactly("b-000001");
    finished("b-000001");
    tick();
    assertThat(admitted()).as("its job is still paused").isEmpty();
    controlAt(command("b-000002", ControlTargetKind.JOB, ControlAction.RESUME, null));
    assertThat(admitted()).containsExactly("b-000002");
  }

  @Test
  void aNewPriorityReordersWhatWaitsKeepsArrivalOrderAndAppliesToWhatComesLater() {
    workers.put(Stage.ENCODE, 1);
    start(SchedulingRules.DEFAULTS);
    waiting(task("first", "s", 5), task("b-000000", "s", 0, "b"), task("b-000001", "s", 0, "b"),
        task("middle", "s", 5));
    assertThat(admitted()).containsExactly("first");
    ControlCommand raise = command("b", ControlTargetKind.BATCH, ControlAction.PRIORITY, null);
    raise.setPriority(7);
    controlAt(raise);
    assertThat(notes()).containsExactly("b-000000 REPRIORITISED", "b-000001 REPRIORITISED");
    waiting(task("b-000002", "s", 0, "b"));
    assertThat(notes()).as("a task that was running when the priority changed").containsExactly("b-000002 REPRIORITISED");
    List<String> order = new ArrayList<>();
    for (String done : List.of("first", "b-000000", "b-000001", "b-000002")) {
      finished(done);
      order.addAll(admitted());
    }
    assertThat(order).containsExactly("b-000000", "b-000001", "b-000002", "middle");
  }

  @Test
  void cancellingAPausedBatchDropsItsHeldTasksWithTheirEvents() {
    workers.put(Stage.ENCODE, 1);
    start(SchedulingRules.DEFAULTS);
    waiting(task("busy", "s", 0));
    assertThat(admitted()).containsExactly("busy");
    controlAt(command("b", ControlTargetKind.BATCH, ControlAction.PAUSE, null));
    waiting(task("b-000000", "s", 0, "b"), task("b-000001", "s", 0, "b"));
    assertThat(notes()).containsExactly("b-000000 PAUSED", "b-000001 PAUSED");
    controlAt(command("b", ControlTargetKind.BATCH, ControlAction.CANCEL, null));
    assertThat(notes()).containsExactly("b-000000 CANCELLED", "b-000001 CANCELLED");
    controlAt(command("b", ControlTargetKind.BATCH, ControlAction.RESUME, null));
    finished("busy");
    tick();
    assertThat(admitted()).as("nothing of the cancelled batch").isEmpty();
  }

  private static SchedulingRules rules(String weights, String runningQuotas, int lookahead, Duration agedAfter,
      int agedEvery) {
    return new SchedulingRules(TenantSettings.parse(weights, "weight"), TenantSettings.parse(runningQuotas, "quota"),
        lookahead, agedAfter, agedEvery);
  }

  private void waiting(RenderTask... tasks) {
    for (RenderTask task : tasks) {
      schedule.pipeInput(Stages.id(Stage.ENCODE), input(SchedulerInputKind.WAITING, task));
    }
  }

  private void controlAt(ControlCommand command) {
    SchedulerInput input = SchedulerInput.newBuilder().setKind(SchedulerInputKind.CONTROL).setCommand(command)
        .setTimeMillis(0).setWorker("test").build();
    schedule.pipeInput(Stages.id(Stage.ENCODE), input);
  }

  /** The scheduler's events since last read, as "JOB TYPE". */
  private List<String> notes() {
    return events.readValuesToList().stream().map(bytes -> Topics.EVENTS.deserializeValue(bytes))
        .map(e -> e.getJobId() + " " + e.getType()).toList();
  }

  private void finished(String jobId) {
    schedule.pipeInput(Stages.id(Stage.ENCODE), input(SchedulerInputKind.FINISHED, task(jobId, "unused", 0)));
  }

  private void tick() {
    driver.advanceWallClockTime(Admission.TICK);
  }

  private List<String> admitted() {
    return encodeTasks.readValuesToList().stream()
        .map(bytes -> Topics.tasks(Stage.ENCODE).deserializeValue(bytes).getSpec().getJobId().toString()).toList();
  }

  private static SchedulerInput input(SchedulerInputKind kind, RenderTask task) {
    return SchedulerInput.newBuilder().setKind(kind).setTask(task).setTimeMillis(0).setWorker("test").build();
  }

  private static RenderTask task(String jobId, String tenant, int priority) {
    return task(jobId, tenant, priority, "batch-" + tenant);
  }

  private static RenderTask task(String jobId, String tenant, int priority, String batchId) {
    JobSpec spec = JobSpec.newBuilder().setJobId(jobId).setBatchId(batchId).setTenant(tenant).setPrompt("p")
        .setSeed(1).setWidth(64).setHeight(64).setFrames(5).setFps(8).setPack("tiny").setPriority(priority).build();
    return RenderTask.newBuilder().setSpec(spec).setAttempt(1)
        .setRoutingSlip(List.of(Stage.ENCODE, Stage.DENOISE)).setCreatedAtMillis(0).build();
  }

  private static ControlCommand command(String id, ControlTargetKind kind, ControlAction action, Integer attempt) {
    return ControlCommand.newBuilder().setTargetId(id).setTargetKind(kind).setAction(action).setAttempt(attempt)
        .setTimeMillis(1).build();
  }
}
