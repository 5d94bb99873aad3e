package io.flowreel.scheduler;

import io.flowreel.contract.ControlRules;
import io.flowreel.contract.Stages;
import io.flowreel.contract.Topics;
import io.flowreel.contract.TraceHeaders;
import io.flowreel.messages.ArtifactRef;
import io.flowreel.messages.ControlCommand;
import io.flowreel.messages.ControlTargetKind;
import io.flowreel.messages.JobSpec;
import io.flowreel.messages.RenderTask;
import io.flowreel.messages.SchedulerInput;
import io.flowreel.messages.SchedulerInputKind;
import io.flowreel.messages.Stage;
import io.flowreel.messages.StageEvent;
import io.flowreel.messages.StageEventType;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Keeps each stage's waiting tasks and admits them to the stage's task topic while the stage has fewer tasks
 * running than workers (plus {@link SchedulingRules#lookahead()}). Which task goes next:
 * <ol>
 *   <li>every {@link SchedulingRules#agedEvery()}-th admission, the oldest task that has waited longer than
 *       {@link SchedulingRules#agedAfter()}, if there is one;
 *   <li>otherwise the highest priority waiting; among tenants with tasks of that priority, the one that has
 *       been served least for its weight; within a tenant and priority, first in first out.
 * </ol>
 * A tenant with as many tasks running at the stage as its {@link SchedulingRules#runningQuota} gets none until one
 * finishes, whatever its priority or age.
 * A task whose job or batch is cancelled is dropped when its turn comes, with the CANCELLED event a stage would
 * have sent; one of a superseded attempt is dropped silently, as a stage drops it. Both free no slot.
 *
 * <p>CONTROL inputs act on what waits at the stage they are keyed by: PAUSE holds the target's waiting tasks (out
 * of the order, not ageing) and every task of it that arrives later; RESUME puts them back where they were unless
 * the job's batch (or the batch's job) is still paused; PRIORITY re-orders them, keeping their arrival order, and
 * applies to every task of the target that arrives later; CANCEL drops the held ones (the others are dropped when
 * their turn comes). Each held, resumed or re-ordered task is told to the tracker as a PAUSED, RESUMED or
 * REPRIORITISED event. Running tasks are left alone: they finish their stage.
 *
 * <p>Everything lives in the stores (exactly once: a store change, what is sent and the input offset commit
 * together); the counts in memory are rebuilt from them whenever the processor starts.
 */
final class Admission implements Processor<String, SchedulerInput, String, Outgoing> {

  private static final System.Logger LOG = System.getLogger(Admission.class.getName());
  /** The {@code worker} of the events the scheduler sends. */
  static final String WORKER = "scheduler";
  /** How often every stage is looked at again: for a worker that joined, or a cancel that unblocks nothing else. */
  static final Duration TICK = Duration.ofMillis(100);
  /** Most dropped tasks per look at a stage, so a cancelled batch of 100,000 drains over ticks, not in one transaction. */
  static final int MAX_DROPS = 1_000;
  private static final String SEQUENCE = "sequence";
  private static final String CLOCK = "clock/";
  /** Prefix of held tasks' keys in the waiting store, outside every stage's key range. */
  private static final String HELD = "held/";
  private static final String PAUSE = "pause/";
  private static final String PRIORITY = "priority/";

  private final StageCapacity capacity;
  private final SchedulingRules rules;
  private final StageBacklog backlog;
  private final Map<Stage, StageQueue> stages = new EnumMap<>(Stage.class);
  private ProcessorContext<String, Outgoing> context;
  private KeyValueStore<String, RenderTask> waiting;
  private KeyValueStore<String, String> byAge;
  private KeyValueStore<String, String> tasks;
  private KeyValueStore<String, String> clocks;
  private KeyValueStore<String, ControlCommand> control;
  private KeyValueStore<String, String> holds;
  private long sequence;

  Admission(StageCapacity capacity, SchedulingRules rules, StageBacklog backlog) {
    this.capacity = capacity;
    this.rules = rules;
    this.backlog = backlog;
  }

  @Override
  public void init(ProcessorContext<String, Outgoing> context) {
    this.context = context;
    waiting = context.getStateStore(SchedulerTopology.WAITING_STORE);
    byAge = context.getStateStore(SchedulerTopology.AGE_STORE);
    tasks = context.getStateStore(SchedulerTopology.TASKS_STORE);
    clocks = context.getStateStore(SchedulerTopology.CLOCKS_STORE);
    control = context.getStateStore(SchedulerTopology.CONTROL_STORE);
    holds = context.getStateStore(SchedulerTopology.HOLDS_STORE);
    rebuild();
    context.schedule(TICK, PunctuationType.WALL_CLOCK_TIME, now -> List.copyOf(stages.keySet()).forEach(stage -> {
      admit(stage, now);
      StageQueue queue = stages.get(stage);
      backlog.update(stage, queue.waiting.values().stream().mapToInt(Integer::intValue).sum(), queue.running);
    }));
  }

  private void rebuild() {
    stages.clear();
    try (KeyValueIterator<String, String> all = tasks.all()) {
      all.forEachRemaining(entry -> {
        StageQueue queue = queue(Stages.fromId(entry.key.substring(0, entry.key.indexOf('/'))));
        TaskPlace place = TaskPlace.parse(entry.value);
        if (place.running()) {
          queue.started(place.tenant());
        } else if (!place.held()) {
          queue.waiting.merge(place.tenant(), 1, Integer::sum);
        }
      });
    }
    try (KeyValueIterator<String, String> all = clocks.prefixScan(CLOCK, new StringSerializer())) {
      all.forEachRemaining(entry -> {
        String[] parts = entry.key.split("/");
        queue(Stages.fromId(parts[1])).served.put(parts[2], Double.parseDouble(entry.value));
      });
    }
    String stored = clocks.get(SEQUENCE);
    sequence = stored == null ? 0 : Long.parseLong(stored);
  }

  @Override
  public void process(Record<String, SchedulerInput> record) {
    SchedulerInput input = record.value();
    if (input != null && input.getKind() == SchedulerInputKind.CONTROL) {
      Stage stage = record.key() == null ? Stage.UNKNOWN : Stages.fromId(record.key());
      if (stage == Stage.UNKNOWN || input.getCommand() == null) {
        LOG.log(System.Logger.Level.WARNING, "skipping a CONTROL record without a command or a stage: key "
            + record.key());
        return;
      }
      long now = context.currentSystemTimeMs();
      control(stage, input.getCommand(), now);
      admit(stage, now);
      return;
    }
    if (input == null || input.getTask() == null || input.getTask().getRoutingSlip().isEmpty()) {
      LOG.log(System.Logger.Level.WARNING, "skipping a " + (input == null ? "null" : input.getKind() + " task with an"
          + " empty routing slip") + " record of key " + record.key());
      return;
    }
    RenderTask task = input.getTask();
    Stage stage = task.getRoutingSlip().get(0);
    long now = context.currentSystemTimeMs();
    switch (input.getKind()) {
      case WAITING -> enqueue(stage, task, now);
      case FINISHED -> finished(stage, task);
      default -> LOG.log(System.Logger.Level.WARNING, "skipping a " + input.getKind() + " record for job "
          + task.getSpec().getJobId() + ": not a kind this scheduler knows");
    }
    admit(stage, now);
  }

  private void enqueue(Stage stage, RenderTask task, long now) {
    String id = taskKey(stage, task);
    if (tasks.get(id) != null) {
      return; // sent again by a stage that repeated its work after a crash: one admission is enough
    }
    sequence++;
    clocks.put(SEQUENCE, Long.toString(sequence));
    Integer changed = priorityOf(task.getSpec());
    if (changed != null && changed != task.getSpec().getPriority()) {
      task = withPriority(task, changed); // it was running when its priority changed
      note(stage, task, StageEventType.REPRIORITISED, now);
    }
    String key = orderKey(stage, task, sequence);
    if (paused(task.getSpec())) {
      waiting.put(HELD + key, task);
      tasks.put(id, TaskPlace.held(now, key));
      note(stage, task, StageEventType.PAUSED, now);
      return;
    }
    waiting.put(key, task);
    byAge.put(ageKey(stage, now, sequence), key);
    tasks.put(id, TaskPlace.waiting(now, key));
    arrived(stage, task.getSpec().getTenant());
  }

  /** Counts one more task of the tenant waiting at the stage. */
  private void arrived(Stage stage, String tenant) {
    StageQueue queue = queue(stage);
    if (queue.waiting.getOrDefault(tenant, 0) == 0) {
      // A tenant that comes back from idle starts level with the others, not with a credit it saved up.
      double level = queue.waiting.entrySet().stream().filter(e -> e.getValue() > 0)
          .mapToDouble(e -> queue.served.getOrDefault(e.getKey(), 0.0)).min().orElse(0.0);
      if (queue.served.getOrDefault(tenant, 0.0) < level) {
        serve(stage, queue, tenant, level);
      }
    }
    queue.waiting.merge(tenant, 1, Integer::sum);
  }

  private void control(Stage stage, ControlCommand command, long now) {
    String target = command.getTargetId();
    switch (command.getAction()) {
      case PAUSE -> holds.put(PAUSE + target, Long.toString(command.getTimeMillis()));
      case RESUME -> holds.delete(PAUSE + target);
      case PRIORITY -> {
        if (command.getPriority() == null) {
          LOG.log(System.Logger.Level.WARNING, "skipping a PRIORITY command without a priority for " + target);
          return;
        }
        holds.put(PRIORITY + target, clamp(command.getPriority()) + " " + command.getTimeMillis());
      }
      case CANCEL -> holds.delete(PAUSE + target);
      default -> {
        LOG.log(System.Logger.Level.WARNING, "skipping a " + command.getAction() + " command for " + target);
        return;
      }
    }
    // A job's tasks are one key range of the tasks store: the job's id, or its batch's id and a dash (Ids.jobId).
    String prefix = Stages.id(stage) + "/" + target + (command.getTargetKind() == ControlTargetKind.BATCH ? "-" : "/");
    List<KeyValue<String, String>> targeted = new ArrayList<>();
    try (KeyValueIterator<String, String> all = tasks.prefixScan(prefix, new StringSerializer())) {
      all.forEachRemaining(targeted::add);
    }
    for (KeyValue<String, String> entry : targeted) {
      TaskPlace place = TaskPlace.parse(entry.value);
      if (place.running()) {
        continue; // it finishes its stage
      }
      String storedAt = place.held() ? HELD + place.orderKey() : place.orderKey();
      RenderTask task = waiting.get(storedAt);
      if (command.getTargetKind() == ControlTargetKind.BATCH && !target.equals(task.getSpec().getBatchId())) {
        continue; // another batch whose id this one's is the start of
      }
      switch (command.getAction()) {
        case PAUSE -> {
          if (!place.held()) {
            hold(stage, entry.key, place, task, now);
          }
        }
        case RESUME -> {
          if (place.held() && !paused(task.getSpec())) {
            release(stage, entry.key, place, task, now);
          }
        }
        case PRIORITY -> reorder(stage, entry.key, place, task, now);
        default -> { // CANCEL
          if (place.held()) {
            waiting.delete(storedAt);
            tasks.delete(entry.key);
            cancelled(stage, task, now);
          }
        }
      }
    }
  }

  private void hold(Stage stage, String id, TaskPlace place, RenderTask task, long now) {
    waiting.delete(place.orderKey());
    waiting.put(HELD + place.orderKey(), task);
    byAge.delete(ageKey(stage, place.since(), sequenceOf(place.orderKey())));
    tasks.put(id, TaskPlace.held(place.since(), place.orderKey()));
    queue(stage).waiting.merge(place.tenant(), -1, Integer::sum);
    note(stage, task, StageEventType.PAUSED, now);
  }

  /** Back in the order where it was, and ageing from when it first arrived. */
  private void release(Stage stage, String id, TaskPlace place, RenderTask task, long now) {
    waiting.delete(HELD + place.orderKey());
    waiting.put(place.orderKey(), task);
    byAge.put(ageKey(stage, place.since(), sequenceOf(place.orderKey())), place.orderKey());
    tasks.put(id, TaskPlace.waiting(place.since(), place.orderKey()));
    arrived(stage, place.tenant());
    note(stage, task, StageEventType.RESUMED, now);
  }

  /** Under its job's or batch's new priority, keeping its arrival sequence. */
  private void reorder(Stage stage, String id, TaskPlace place, RenderTask task, long now) {
    int priority = priorityOf(task.getSpec());
    if (priority == task.getSpec().getPriority()) {
      return;
    }
    RenderTask changed = withPriority(task, priority);
    long seq = sequenceOf(place.orderKey());
    String key = orderKey(stage, changed, seq);
    if (place.held()) {
      waiting.delete(HELD + place.orderKey());
      waiting.put(HELD + key, changed);
      tasks.put(id, TaskPlace.held(place.since(), key));
    } else {
      waiting.delete(place.orderKey());
      waiting.put(key, changed);
      byAge.put(ageKey(stage, place.since(), seq), key);
      tasks.put(id, TaskPlace.waiting(place.since(), key));
    }
    note(stage, changed, StageEventType.REPRIORITISED, now);
  }

  private boolean paused(JobSpec spec) {
    return holds.get(PAUSE + spec.getJobId()) != null || holds.get(PAUSE + spec.getBatchId()) != null;
  }

  /** The priority the job's work has now: the latest change to the job or its batch, or null if none. */
  private Integer priorityOf(JobSpec spec) {
    String job = holds.get(PRIORITY + spec.getJobId());
    String batch = holds.get(PRIORITY + spec.getBatchId());
    if (job == null && batch == null) {
      return null;
    }
    String latest = job == null ? batch : batch == null ? job
        : Long.parseLong(job.split(" ")[1]) >= Long.parseLong(batch.split(" ")[1]) ? job : batch;
    return Integer.parseInt(latest.split(" ")[0]);
  }

  private void note(Stage stage, RenderTask task, StageEventType type, long now) {
    StageEvent.Builder event = event(stage, task, type, now);
    if (type == StageEventType.REPRIORITISED) {
      event.setSpec(task.getSpec());
    }
    send(task, event.build(), now);
  }

  private void cancelled(Stage stage, RenderTask task, long now) {
    send(task, event(stage, task, StageEventType.CANCELLED, now).setError("cancelled before " + Stages.id(stage))
        .build(), now);
  }

  private void send(RenderTask task, StageEvent event, long now) {
    context.forward(new Record<>(task.getSpec().getJobId(), new Outgoing(Topics.EVENTS.name(),
        Topics.EVENTS.serializeValue(event)), now, TraceHeaders.of(task)));
  }

  private void finished(Stage stage, RenderTask task) {
    String id = taskKey(stage, task);
    String place = tasks.get(id);
    if (place == null || !TaskPlace.parse(place).running()) {
      return; // admitted by no scheduler (put on the stage topic directly), or its FINISHED came twice
    }
    tasks.delete(id);
    queue(stage).finished(TaskPlace.parse(place).tenant());
  }

  private void admit(Stage stage, long now) {
    StageQueue queue = stages.get(stage);
    if (queue == null) {
      return;
    }
    int drops = 0;
    while (queue.running < capacity.workers(stage) + rules.lookahead() && drops < MAX_DROPS) {
      String key = next(stage, queue, now);
      if (key == null) {
        return;
      }
      RenderTask task = waiting.get(key);
      String tenant = task.getSpec().getTenant();
      String id = taskKey(stage, task);
      TaskPlace place = TaskPlace.parse(tasks.get(id));
      waiting.delete(key);
      byAge.delete(ageKey(stage, place.since(), sequenceOf(key)));
      tasks.delete(id);
      queue.waiting.merge(tenant, -1, Integer::sum);
      String jobId = task.getSpec().getJobId();
      ControlCommand job = control.get(jobId);
      if (task.getAttempt() < ControlRules.currentAttempt(job)) {
        drops++;
        continue; // a newer attempt owns the job's outputs
      }
      if (ControlRules.cancelled(job, control.get(task.getSpec().getBatchId()))) {
        drops++;
        cancelled(stage, task, now);
        continue;
      }
      context.forward(new Record<>(jobId, new Outgoing(Topics.tasks(stage).name(),
          Topics.tasks(stage).serializeValue(task)), now, TraceHeaders.of(task)));
      tasks.put(id, TaskPlace.running(tenant));
      queue.started(tenant);
      serve(stage, queue, tenant, queue.served.getOrDefault(tenant, 0.0) + 1.0 / rules.weight(tenant));
    }
  }

  /** The order key of the task to admit next, or null if none waits. */
  private String next(Stage stage, StageQueue queue, long now) {
    if (queue.sinceAged + 1 >= rules.agedEvery()) {
      try (KeyValueIterator<String, String> oldest = byAge.prefixScan(Stages.id(stage) + "/", new StringSerializer())) {
        if (oldest.hasNext()) {
          KeyValue<String, String> entry = oldest.next();
          long since = Long.parseLong(entry.key.split("/")[1]);
          if (now - since >= rules.agedAfter().toMillis() && queue.mayStart(TaskPlace.tenantOf(entry.value), rules)) {
            queue.sinceAged = 0;
            return entry.value;
          }
        }
      }
    }
    String best = null;
    int bestPriority = -1;
    double bestServed = 0;
    for (Map.Entry<String, Integer> tenant : queue.waiting.entrySet()) {
      if (tenant.getValue() <= 0 || !queue.mayStart(tenant.getKey(), rules)) {
        continue;
      }
      String head;
      try (KeyValueIterator<String, RenderTask> first =
          waiting.prefixScan(Stages.id(stage) + "/" + tenant.getKey() + "/", new StringSerializer())) {
        head = first.hasNext() ? first.peekNextKey() : null;
      }
      if (head == null) {
        continue;
      }
      int priority = 9 - (head.charAt(head.lastIndexOf('/') - 1) - '0');
      double served = queue.served.getOrDefault(tenant.getKey(), 0.0);
      if (priority > bestPriority || priority == bestPriority && served < bestServed) {
        best = head;
        bestPriority = priority;
        bestServed = served;
      }
    }
    if (best != null) {
      queue.sinceAged++;
    }
    return best;
  }

  private void serve(Stage stage, StageQueue queue, String tenant, double served) {
    queue.served.put(tenant, served);
    clocks.put(CLOCK + Stages.id(stage) + "/" + tenant, Double.toString(served));
  }

  private StageQueue queue(Stage stage) {
    return stages.computeIfAbsent(stage, s -> new StageQueue());
  }

  private static StageEvent.Builder event(Stage stage, RenderTask task, StageEventType type, long now) {
    return StageEvent.newBuilder()
        .setEventId(UUID.randomUUID().toString())
        .setJobId(task.getSpec().getJobId())
        .setBatchId(task.getSpec().getBatchId())
        .setTenant(task.getSpec().getTenant())
        .setStage(stage)
        .setAttempt(task.getAttempt())
        .setType(type)
        .setTimeMillis(now)
        .setWorker(WORKER)
        .setArtifacts(List.<ArtifactRef>of());
  }

  private static int clamp(int priority) {
    return Math.max(0, Math.min(9, priority));
  }

  private static String orderKey(Stage stage, RenderTask task, long sequence) {
    return Stages.id(stage) + "/" + task.getSpec().getTenant() + "/" + (9 - clamp(task.getSpec().getPriority())) + "/"
        + String.format("%019d", sequence);
  }

  private static RenderTask withPriority(RenderTask task, int priority) {
    return RenderTask.newBuilder(task).setSpec(JobSpec.newBuilder(task.getSpec()).setPriority(priority).build())
        .build();
  }

  static String taskKey(Stage stage, RenderTask task) {
    return Stages.id(stage) + "/" + task.getSpec().getJobId() + "/" + task.getAttempt();
  }

  private static String ageKey(Stage stage, long since, long sequence) {
    return Stages.id(stage) + "/" + String.format("%013d", since) + "/" + String.format("%019d", sequence);
  }

  private static long sequenceOf(String orderKey) {
    return Long.parseLong(orderKey.substring(orderKey.lastIndexOf('/') + 1));
  }

  /**
   * A task the scheduler knows: waiting since a time under an order key, held (paused) there, or running for a
   * tenant.
   */
  private record TaskPlace(boolean running, boolean held, long since, String orderKey, String tenant) {

    static String waiting(long since, String orderKey) {
      return "W " + since + " " + orderKey;
    }

    static String held(long since, String orderKey) {
      return "H " + since + " " + orderKey;
    }

    static String running(String tenant) {
      return "R " + tenant;
    }

    static TaskPlace parse(String text) {
      String[] parts = text.split(" ");
      if (parts[0].equals("R")) {
        return new TaskPlace(true, false, 0, null, parts[1]);
      }
      return new TaskPlace(false, parts[0].equals("H"), Long.parseLong(parts[1]), parts[2], tenantOf(parts[2]));
    }

    static String tenantOf(String orderKey) {
      return orderKey.split("/")[1];
    }
  }

  /** One stage's counts, rebuilt from the stores. */
  private static final class StageQueue {
    final Map<String, Integer> waiting = new HashMap<>();
    final Map<String, Double> served = new HashMap<>();
    final Map<String, Integer> runningOf = new HashMap<>();
    int running;
    int sinceAged;

    void started(String tenant) {
      running++;
      runningOf.merge(tenant, 1, Integer::sum);
    }

    void finished(String tenant) {
      running--;
      runningOf.merge(tenant, -1, Integer::sum);
    }

    boolean mayStart(String tenant, SchedulingRules rules) {
      return runningOf.getOrDefault(tenant, 0) < rules.runningQuota(tenant);
    }
  }
}
