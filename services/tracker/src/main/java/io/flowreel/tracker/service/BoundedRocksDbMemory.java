package io.flowreel.tracker.service;

import java.util.Map;
import org.apache.kafka.streams.state.RocksDBConfigSetter;
import org.rocksdb.BlockBasedTableConfig;
import org.rocksdb.Cache;
import org.rocksdb.LRUCache;
import org.rocksdb.Options;
import org.rocksdb.WriteBufferManager;

/**
 * One memory budget for every RocksDB store of the tracker, as the Kafka Streams memory-management guide advises.
 * By default each store instance (three stores on each of six partitions here) has its own 50 MB block cache and up
 * to three 16 MB memtables, so what the tracker may hold off the Java heap grows with the partitions it hosts and
 * the jobs it has folded. Here all stores share one block cache of {@link #TOTAL_BYTES}, their memtables are charged
 * to it up to {@link #MEMTABLE_BYTES}, and index and filter blocks live in it too, so nothing grows outside it.
 *
 * <p>The memtable budget trades memory for fold speed (docs/benchmarks.md, load runs 3-7): 16 MiB kept the
 * tracker's resident memory growth from 10,000 to 100,000 queued jobs at 12-17% but folded about 21% slower; 32 MiB
 * folds as fast as the defaults and grew 21%, as they did (22%), while bounding what the defaults leave unbounded.
 */
public class BoundedRocksDbMemory implements RocksDBConfigSetter {

  private static final long TOTAL_BYTES = 64L << 20;
  private static final long MEMTABLE_BYTES = 32L << 20;

  // Shared by every store of this process and never closed: the process owns them until it exits.
  private static final Cache CACHE = new LRUCache(TOTAL_BYTES, -1, false, 0.1);
  private static final WriteBufferManager WRITE_BUFFERS = new WriteBufferManager(MEMTABLE_BYTES, CACHE);

  @Override
  public void setConfig(String storeName, Options options, Map<String, Object> configs) {
    BlockBasedTableConfig table = (BlockBasedTableConfig) options.tableFormatConfig();
    table.setBlockCache(CACHE);
    table.setCacheIndexAndFilterBlocks(true);
    table.setCacheIndexAndFilterBlocksWithHighPriority(true);
    table.setPinTopLevelIndexAndFilter(true);
    options.setWriteBufferManager(WRITE_BUFFERS);
    options.setTableFormatConfig(table);
  }

  @Override
  public void close(String storeName, Options options) {
    // The cache and the write buffer manager are shared: closing them with one store would break the others.
  }
}
