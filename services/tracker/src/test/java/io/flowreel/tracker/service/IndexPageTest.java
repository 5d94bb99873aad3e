package io.flowreel.tracker.service;

import static org.assertj.core.api.Assertions.assertThat;

import io.flowreel.tracker.TimeIndex;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Function;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.junit.jupiter.api.Test;

class IndexPageTest {

  private static final String LOW = TimeIndex.bound("s", 0);
  private static final String HIGH = TimeIndex.bound("s", Long.MAX_VALUE);

  /** Jobs j00..j29 at 1000 + i ms, spread over three partitions, and another tenant's in between. */
  private final List<SortedStore> partitions = List.of(new SortedStore(), new SortedStore(), new SortedStore());

  IndexPageTest() {
    for (int i = 0; i < 30; i++) {
      partitions.get(i % 3).map.put(TimeIndex.key("s", 1000 + i, String.format("j%02d", i)), String.format("j%02d", i));
      partitions.get(i % 3).map.put(TimeIndex.key("t", 1000 + i, "other" + i), "other" + i);
    }
  }

  @Test
  void pagesGoNewestFirstAcrossPartitionsWithoutGapsOrRepeats() {
    List<String> all = readAll(7, Optional::of);
    List<String> expected = new ArrayList<>();
    for (int i = 29; i >= 0; i--) {
      expected.add(String.format("j%02d", i));
    }
    assertThat(all).containsExactlyElementsOf(expected);
  }

  @Test
  void aRareFilterEndsPagesWhereEveryPartitionWasReadAndStillReachesTheEnd() {
    for (int i = 0; i < 3 * IndexPage.MAX_SCANNED; i++) {
      partitions.get(i % 3).map.put(TimeIndex.key("s", 5000 + i, "n" + i), "n" + i);
    }
    Function<String, Optional<String>> onlyJobs = id -> id.startsWith("j") ? Optional.of(id) : Optional.empty();
    IndexPage.Page<String> first = IndexPage.read(partitions, LOW, HIGH, null, 10, onlyJobs);
    assertThat(first.items()).as("the first page reads 5,000 keys per partition, all newer than any job").isEmpty();
    assertThat(first.next()).isNotNull();
    assertThat(readAll(10, onlyJobs)).hasSize(30).startsWith("j29", "j28").endsWith("j00");
  }

  @Test
  void aTimeWindowIsASubRange() {
    IndexPage.Page<String> page = IndexPage.read(partitions, TimeIndex.bound("s", 1010), TimeIndex.bound("s", 1020),
        null, 100, Optional::of);
    assertThat(page.items()).hasSize(10).startsWith("j19").endsWith("j10");
    assertThat(page.next()).isNull();
  }

  private List<String> readAll(int limit, Function<String, Optional<String>> load) {
    List<String> all = new ArrayList<>();
    String cursor = null;
    for (int pages = 0; pages < 100; pages++) {
      IndexPage.Page<String> page = IndexPage.read(partitions, LOW, HIGH, cursor, limit, load);
      assertThat(page.items().size()).isLessThanOrEqualTo(limit);
      all.addAll(page.items());
      if (page.next() == null) {
        return all;
      }
      cursor = page.next();
    }
    throw new AssertionError("no end after 100 pages");
  }

  /** A sorted store, as one partition's RocksDB store is. */
  private static final class SortedStore implements ReadOnlyKeyValueStore<String, String> {
    final NavigableMap<String, String> map = new TreeMap<>();

    @Override
    public String get(String key) {
      return map.get(key);
    }

    @Override
    public KeyValueIterator<String, String> range(String from, String to) {
      return iterator(map.subMap(from, true, to, true));
    }

    @Override
    public KeyValueIterator<String, String> reverseRange(String from, String to) {
      return iterator(map.subMap(from, true, to, true).descendingMap());
    }

    @Override
    public KeyValueIterator<String, String> all() {
      return iterator(map);
    }

    @Override
    public long approximateNumEntries() {
      return map.size();
    }

    private static KeyValueIterator<String, String> iterator(Map<String, String> entries) {
      Iterator<Map.Entry<String, String>> it = new ArrayList<>(entries.entrySet()).iterator();
      return new KeyValueIterator<>() {
        @Override
        public boolean hasNext() {
          return it.hasNext();
        }

        @Override
        public KeyValue<String, String> next() {
          Map.Entry<String, String> e = it.next();
          return KeyValue.pair(e.getKey(), e.getValue());
        }

        @Override
        public void close() {}

        @Override
        public String peekNextKey() {
          throw new UnsupportedOperationException();
        }
      };
    }
  }
}
