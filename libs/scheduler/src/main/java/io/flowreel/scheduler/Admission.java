package io.flowreel.scheduler;

import io.flowreel.contract.ControlRules;
import io.flowreel.contract.Stages;
import io.flowreel.contract.Topics;
import io.flowreel.messages.ArtifactRef;
import io.flowreel.messages.ControlCommand;
import io.flowreel.messages.RenderTask;
import io.flowreel.messages.SchedulerInput;
import io.flowreel.messages.Stage;
import io.flowreel.messages.StageEvent;
import io.flowreel.messages.StageEventType;
import java.time.Duration;
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

  private final StageCapacity capacity;
  private final SchedulingRules rules;
  private final Map<Stage, StageQueue> stages = new EnumMap<>(Stage.class);
  private ProcessorContext<String, Outgoing> context;
  private KeyValueStore<String, RenderTask> waiting;
  private KeyValueStore<String, String> byAge;
  private KeyValueStore<String, String> tasks;
  private KeyValueStore<String, String> clocks;
  private KeyValueStore<String, ControlCommand> control;
  private long sequence;

  Admission(StageCapacity capacity, SchedulingRules rules) {
    this.capacity = capacity;
    this.rules = rules;
  }

  @Override
  public void init(ProcessorContext<String, Outgoing> context) {
    this.context = context;
    waiting = context.getStateStore(SchedulerTopology.WAITING_STORE);
    byAge = context.getStateStore(SchedulerTopology.AGE_STORE);
    tasks = context.getStateStore(SchedulerTopology.TASKS_STORE);
    clocks = context.getStateStore(SchedulerTopology.CLOCKS_STORE);
    control = context.getStateStore(SchedulerTopology.CONTROL_STORE);
    rebuild();
    context.schedule(TICK, PunctuationType.WALL_CLOCK_TIME, now -> List.copyOf(stages.keySet())
        .forEach(stage -> admit(stage, now)));
  }

  private void rebuild() {
    stages.clear();
    try (KeyValueIterator<String, String> all = tasks.all()) {
      all.forEachRemaining(entry -> {
        StageQueue queue = queue(Stages.fromId(entry.key.substring(0, entry.key.indexOf('/'))));
        TaskPlace place = TaskPlace.parse(entry.value);
        if (place.running()) {
          queue.started(place.tenant());
        } else {
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
    if (input == null || input.getTask().getRoutingSlip().isEmpty()) {
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
    String tenant = task.getSpec().getTenant();
    int priority = Math.max(0, Math.min(9, task.getSpec().getPriority()));
    String key = Stages.id(stage) + "/" + tenant + "/" + (9 - priority) + "/" + String.format("%019d", sequence);
    waiting.put(key, task);
    byAge.put(ageKey(stage, now, sequence), key);
    tasks.put(id, TaskPlace.waiting(now, key));
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
        context.forward(new Record<>(jobId, new Outgoing(Topics.EVENTS.name(),
            Topics.EVENTS.serializeValue(cancelled(stage, task, now))), now));
        continue;
      }
      context.forward(new Record<>(jobId, new Outgoing(Topics.tasks(stage).name(),
          Topics.tasks(stage).serializeValue(task)), now));
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

  private static StageEvent cancelled(Stage stage, RenderTask task, long now) {
    return StageEvent.newBuilder()
        .setEventId(UUID.randomUUID().toString())
        .setJobId(task.getSpec().getJobId())
        .setBatchId(task.getSpec().getBatchId())
        .setTenant(task.getSpec().getTenant())
        .setStage(stage)
        .setAttempt(task.getAttempt())
        .setType(StageEventType.CANCELLED)
        .setTimeMillis(now)
        .setWorker(WORKER)
        .setError("cancelled before " + Stages.id(stage))
        .setArtifacts(List.<ArtifactRef>of())
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

  /** A task the scheduler knows: waiting since a time under an order key, or running for a tenant. */
  private record TaskPlace(boolean running, long since, String orderKey, String tenant) {

    static String waiting(long since, String orderKey) {
      return "W " + since + " " + orderKey;
    }

    static String running(String tenant) {
      return "R " + tenant;
    }

    static TaskPlace parse(String text) {
      String[] parts = text.split(" ");
      if (parts[0].equals("R")) {
        return new TaskPlace(true, 0, null, parts[1]);
      }
      return new TaskPlace(false, Long.parseLong(parts[1]), parts[2], tenantOf(parts[2]));
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
