package io.flowreel.infra;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.AbortTransactionSpec;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListTopicsOptions;
import org.apache.kafka.clients.admin.ListTransactionsOptions;
import org.apache.kafka.clients.admin.ProducerState;
import org.apache.kafka.clients.admin.TransactionDescription;
import org.apache.kafka.clients.admin.TransactionListing;
import org.apache.kafka.clients.admin.TransactionState;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.message.WriteTxnMarkersRequestData;
import org.apache.kafka.common.message.WriteTxnMarkersRequestData.WritableTxnMarker;
import org.apache.kafka.common.message.WriteTxnMarkersRequestData.WritableTxnMarkerTopic;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.AbstractResponse;
import org.apache.kafka.common.requests.RequestHeader;
import org.apache.kafka.common.requests.WriteTxnMarkersRequest;
import org.apache.kafka.common.requests.WriteTxnMarkersResponse;

/**
 * Finds and closes hanging transactions: a partition that still holds a transaction open although its coordinator
 * has already finished it, so no marker will ever close it. Seen here after {@code kill -9} of the whole embedded
 * farm while the exactly-once tracker committed: the restarted broker completed the tracker's commit (CompleteCommit)
 * but left its transaction open on some of the partitions it wrote (the tracker's changelog and repartition
 * partitions, once a {@code __consumer_offsets} partition), and the tracker, which reads committed only, then waited
 * forever. docs/infrastructure.md has the story.
 *
 * <p>Each is closed as its coordinator decided: a COMMIT marker when the coordinator committed it (written with the
 * WriteTxnMarkers request the Admin client sends to abort, since Admin has no call for it), an ABORT marker
 * otherwise, as {@code kafka-transactions.sh find-hanging} and {@code abort} would. Aborting a committed transaction
 * would drop what the coordinator had already committed elsewhere (the tracker's offsets), and with it the status
 * updates it carried.
 *
 * <p>Only safe while no producer is running: a transaction that a live producer is just finishing could look
 * hanging for a moment. {@link LocalStack} calls it after starting the broker and before any service.
 */
final class HangingTransactions {

  private static final Set<TransactionState> FINISHING =
      EnumSet.of(TransactionState.PREPARE_COMMIT, TransactionState.PREPARE_ABORT, TransactionState.PREPARE_EPOCH_FENCE);
  private static final Duration CALL_TIMEOUT = Duration.ofSeconds(30);

  private HangingTransactions() {
  }

  /**
   * Waits up to {@code settle} for the coordinators to finish the transactions they are completing, then closes
   * every open transaction that no coordinator holds open; returns one line per transaction closed.
   */
  static List<String> closeAll(String bootstrapServers, Duration settle) {
    try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
        AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) CALL_TIMEOUT.toMillis()))) {
      awaitNoneFinishing(admin, settle);
      Map<TopicPartition, Node> leaders = new HashMap<>();
      List<String> closed = new ArrayList<>();
      for (Map.Entry<TopicPartition, ProducerState> open : openTransactions(admin, leaders).entrySet()) {
        TopicPartition partition = open.getKey();
        ProducerState producer = open.getValue();
        Optional<TransactionDescription> holder = coordinatorView(admin, producer.producerId());
        if (holder.isPresent() && holdsOpen(holder.get(), partition)) {
          continue; // a crashed producer's transaction: its coordinator aborts it on timeout or when it restarts
        }
        boolean committed = holder.isPresent() && committedThisOne(holder.get(), producer);
        if (committed) {
          writeCommitMarker(leaders.get(partition), partition, producer);
        } else {
          get(admin.abortTransaction(new AbortTransactionSpec(partition, producer.producerId(),
              (short) producer.producerEpoch(), producer.coordinatorEpoch().orElse(-1))).all());
        }
        closed.add((committed ? "committed" : "aborted") + " a hanging transaction on " + partition + " (producer "
            + producer.producerId() + ", epoch " + producer.producerEpoch() + ", from offset "
            + producer.currentTransactionStartOffset().getAsLong() + "; its coordinator says "
            + holder.map(d -> d.state() + " at epoch " + d.producerEpoch()).orElse("nothing") + ")");
      }
      return closed;
    }
  }

  /** The COMMIT twin of {@code Admin.abortTransaction}: one WriteTxnMarkers request to the partition's leader. */
  private static void writeCommitMarker(Node leader, TopicPartition partition, ProducerState producer) {
    WriteTxnMarkersRequestData data = new WriteTxnMarkersRequestData();
    data.markers().add(new WritableTxnMarker()
        .setProducerId(producer.producerId())
        .setProducerEpoch((short) producer.producerEpoch())
        .setCoordinatorEpoch(producer.coordinatorEpoch().orElse(-1))
        .setTransactionResult(true)
        .setTopics(List.of(new WritableTxnMarkerTopic().setName(partition.topic())
            .setPartitionIndexes(List.of(partition.partition())))));
    short version = ApiKeys.WRITE_TXN_MARKERS.latestVersion();
    RequestHeader header = new RequestHeader(ApiKeys.WRITE_TXN_MARKERS, version, "flowreel-hanging-transactions", 1);
    ByteBuffer request = new WriteTxnMarkersRequest.Builder(data).build(version).serializeWithHeader(header);
    try (Socket socket = new Socket(leader.host(), leader.port())) {
      socket.setSoTimeout((int) CALL_TIMEOUT.toMillis());
      DataOutputStream out = new DataOutputStream(socket.getOutputStream());
      byte[] bytes = new byte[request.remaining()];
      request.get(bytes);
      out.writeInt(bytes.length);
      out.write(bytes);
      out.flush();
      DataInputStream in = new DataInputStream(socket.getInputStream());
      byte[] answer = new byte[in.readInt()];
      in.readFully(answer);
      WriteTxnMarkersResponse response =
          (WriteTxnMarkersResponse) AbstractResponse.parseResponse(ByteBuffer.wrap(answer), header);
      Errors error = response.errorsByProducerId().getOrDefault(producer.producerId(), Map.of())
          .getOrDefault(partition, Errors.UNKNOWN_SERVER_ERROR);
      if (error != Errors.NONE) {
        throw new IllegalStateException("cannot commit the hanging transaction on " + partition + ": " + error);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot commit the hanging transaction on " + partition + " at " + leader, e);
    }
  }

  /**
   * Whether the coordinator's last transaction, which it committed, is the one left open on the partition: ended at
   * the partition's epoch, or one above it (transactions version 2 bumps the epoch as it ends each transaction). An
   * older one's outcome is not known any more, and is aborted.
   */
  private static boolean committedThisOne(TransactionDescription coordinator, ProducerState producer) {
    int bump = coordinator.producerEpoch() - producer.producerEpoch();
    return coordinator.state() == TransactionState.COMPLETE_COMMIT && (bump == 0 || bump == 1);
  }

  private static boolean holdsOpen(TransactionDescription coordinator, TopicPartition partition) {
    return (coordinator.state() == TransactionState.ONGOING || FINISHING.contains(coordinator.state()))
        && coordinator.topicPartitions().contains(partition);
  }

  private static void awaitNoneFinishing(Admin admin, Duration settle) {
    long deadline = System.nanoTime() + settle.toNanos();
    while (System.nanoTime() < deadline) {
      if (get(admin.listTransactions(new ListTransactionsOptions().filterStates(FINISHING)).all()).isEmpty()) {
        return;
      }
      sleep(Duration.ofMillis(200));
    }
  }

  /** Every partition's open transaction, by the producer that opened it; fills in each partition's leader. */
  private static Map<TopicPartition, ProducerState> openTransactions(Admin admin, Map<TopicPartition, Node> leaders) {
    List<TopicPartition> partitions = new ArrayList<>();
    Set<String> topics = get(admin.listTopics(new ListTopicsOptions().listInternal(true)).names());
    get(admin.describeTopics(topics).allTopicNames()).forEach((topic, description) ->
        description.partitions().forEach(p -> {
          partitions.add(new TopicPartition(topic, p.partition()));
          leaders.put(new TopicPartition(topic, p.partition()), p.leader());
        }));
    Map<TopicPartition, ProducerState> open = new HashMap<>();
    get(admin.describeProducers(partitions).all()).forEach((partition, state) ->
        state.activeProducers().stream().filter(p -> p.currentTransactionStartOffset().isPresent())
            .forEach(p -> open.put(partition, p)));
    return open;
  }

  /** The coordinator's view of the transactional id whose current producer is {@code producerId}, if it has one. */
  private static Optional<TransactionDescription> coordinatorView(Admin admin, long producerId) {
    List<String> ids = get(admin.listTransactions(new ListTransactionsOptions().filterProducerIds(Set.of(producerId)))
        .all()).stream().map(TransactionListing::transactionalId).toList();
    if (ids.isEmpty()) {
      return Optional.empty();
    }
    return get(admin.describeTransactions(ids).all()).values().stream().findFirst();
  }

  private static <T> T get(KafkaFuture<T> future) {
    try {
      return future.get(CALL_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while looking for hanging transactions", e);
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException("cannot look for hanging transactions on the Kafka broker", e);
    }
  }

  private static void sleep(Duration pause) {
    try {
      Thread.sleep(pause.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while looking for hanging transactions", e);
    }
  }
}
