package io.flowreel.scheduler;

import io.flowreel.contract.Stages;
import io.flowreel.messages.Stage;
import java.time.Duration;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ShareGroupDescription;
import org.apache.kafka.common.KafkaFuture;

/**
 * A stage's capacity read from the broker: the members of its workers' share group ({@link Stages#workerGroup}),
 * looked up every {@code every}. Each worker runs one task at a time, so members are running slots. A worker
 * that starts counts from the next look-up; one killed counts until the broker expires its membership, and the
 * task admitted for it meanwhile waits for the next free worker. When the broker does not answer, the last
 * known numbers stand.
 */
public final class ShareGroupCapacity implements StageCapacity, AutoCloseable {

  private static final System.Logger LOG = System.getLogger(ShareGroupCapacity.class.getName());

  private final Admin admin;
  private final Map<Stage, Integer> workers = new ConcurrentHashMap<>();
  private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread thread = new Thread(r, "share-group-capacity");
    thread.setDaemon(true);
    return thread;
  });

  public ShareGroupCapacity(String bootstrapServers, Duration every) {
    admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers));
    timer.scheduleWithFixedDelay(this::lookUp, 0, every.toMillis(), TimeUnit.MILLISECONDS);
  }

  @Override
  public int workers(Stage stage) {
    return workers.getOrDefault(stage, 0);
  }

  /** The numbers of the last look-up, for health and logs. */
  public Map<Stage, Integer> snapshot() {
    Map<Stage, Integer> copy = new EnumMap<>(Stage.class);
    Stages.PIPELINE.forEach(s -> copy.put(s, workers(s)));
    return copy;
  }

  private void lookUp() {
    List<String> groups = Stages.PIPELINE.stream().map(Stages::workerGroup).toList();
    Map<String, KafkaFuture<ShareGroupDescription>> described = admin.describeShareGroups(groups).describedGroups();
    for (Stage stage : Stages.PIPELINE) {
      try {
        ShareGroupDescription group = described.get(Stages.workerGroup(stage)).get(30, TimeUnit.SECONDS);
        Integer before = workers.put(stage, group.members().size());
        if (before == null || before != group.members().size()) {
          LOG.log(System.Logger.Level.INFO, Stages.id(stage) + " has " + group.members().size() + " workers");
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      } catch (Exception e) {
        // A group no worker has joined yet does not exist: no workers. Anything else keeps the last number.
        if (String.valueOf(e.getCause()).contains("GroupIdNotFound")) {
          workers.put(stage, 0);
        } else {
          LOG.log(System.Logger.Level.DEBUG, "cannot describe " + Stages.workerGroup(stage) + ": " + e);
        }
      }
    }
  }

  @Override
  public void close() {
    timer.shutdownNow();
    admin.close(Duration.ofSeconds(5));
  }
}
