package io.flowreel.tracker.service;

import io.flowreel.tracker.TimeIndex;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;

/**
 * One page of a by-time index ({@link TimeIndex}), newest first. The index is split like its source topic, one
 * store per partition, each sorted; a page takes up to {@code limit} matches from each partition and merges them.
 * A filter that matches little must not make one request read a tenant's whole history: each partition reads at
 * most {@link #MAX_SCANNED} keys per page, and the page then ends where every partition has been read to (it may
 * hold fewer than {@code limit} items, or none, and still have a next cursor).
 *
 * @param <T> what the index points to
 */
final class IndexPage<T> {

  static final int MAX_SCANNED = 5_000;

  /** The items, and the key to continue below (exclusive), or null at the end. */
  record Page<T>(List<T> items, String next) {}

  private record Found<T>(String key, T item) {}

  private IndexPage() {}

  /**
   * @param partitions the index's stores, one per partition
   * @param low the lowest key to read (inclusive)
   * @param high the highest key to read (inclusive), or {@code after} when that is lower
   * @param after the previous page's cursor: only keys below it are read; null for the first page
   * @param load the item an id stands for, if it matches the filter
   */
  static <T> Page<T> read(List<? extends ReadOnlyKeyValueStore<String, String>> partitions, String low, String high,
      String after, int limit, Function<String, Optional<T>> load) {
    String top = after != null && after.compareTo(high) < 0 ? after : high;
    List<Found<T>> found = new ArrayList<>();
    String frontier = null; // the highest key a partition stopped at before its end: all keys above it were read
    for (ReadOnlyKeyValueStore<String, String> partition : partitions) {
      int matched = 0;
      int scanned = 0;
      String last = null;
      boolean ended = true;
      try (KeyValueIterator<String, String> keys = partition.reverseRange(low, top)) {
        while (keys.hasNext()) {
          if (matched == limit || scanned == MAX_SCANNED) {
            ended = false;
            break;
          }
          KeyValue<String, String> entry = keys.next();
          scanned++;
          last = entry.key;
          if (entry.key.equals(after)) {
            continue;
          }
          Optional<T> item = load.apply(entry.value);
          if (item.isPresent()) {
            found.add(new Found<>(entry.key, item.get()));
            matched++;
          }
        }
      }
      if (!ended && (frontier == null || last.compareTo(frontier) > 0)) {
        frontier = last;
      }
    }
    found.sort(Comparator.comparing((Found<T> f) -> f.key).reversed());
    List<T> items = new ArrayList<>();
    for (Found<T> f : found) {
      if (frontier != null && f.key.compareTo(frontier) < 0) {
        break; // a partition not read down to here may hold keys above this one
      }
      if (items.size() == limit) {
        return new Page<>(items, found.get(limit - 1).key);
      }
      items.add(f.item);
    }
    return new Page<>(items, frontier);
  }
}
