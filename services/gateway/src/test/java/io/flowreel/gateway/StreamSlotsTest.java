package io.flowreel.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class StreamSlotsTest {

  @Test
  void refusesATenantOverItsCapNamingItWhileAnotherTenantStillGetsASlot() {
    StreamSlots slots = new StreamSlots(2, 10);
    slots.take("studio-a", "/v1/batches/b-1");
    slots.take("studio-a", "/v1/batches/b-1");

    assertThatThrownBy(() -> slots.take("studio-a", "/v1/batches/b-1"))
        .isInstanceOfSatisfying(ApiException.class, e -> {
          assertThat(e.status()).isEqualTo(429);
          assertThat(e.retryAfterSeconds()).isPositive();
        })
        .hasMessage("tenant 'studio-a' has 2 event streams open, at most 2 "
            + "(flowreel.gateway.max-event-streams-per-tenant): close one, or poll GET /v1/batches/b-1");
    slots.take("studio-b", "/v1/jobs/b-1-000000");
    assertThat(slots.open()).isEqualTo(3);
  }

  @Test
  void refusesAnyTenantOverTheTotalCapAndLeavesItsOwnCountAsItWas() {
    StreamSlots slots = new StreamSlots(2, 3);
    slots.take("studio-a", "/x");
    slots.take("studio-a", "/x");
    Runnable third = slots.take("studio-b", "/x");

    assertThatThrownBy(() -> slots.take("studio-c", "/v1/jobs/j"))
        .hasMessage("this gateway has 3 event streams open, at most 3 (flowreel.gateway.max-event-streams): "
            + "retry later, or poll GET /v1/jobs/j");
    third.run();
    // studio-c's refused attempt took nothing: it still has both of its slots.
    slots.take("studio-c", "/x");
    assertThat(slots.open()).isEqualTo(3);
  }

  @Test
  void aReleasedSlotCanBeTakenAgain() {
    StreamSlots slots = new StreamSlots(1, 1);
    Runnable release = slots.take("studio-a", "/x");
    assertThatThrownBy(() -> slots.take("studio-a", "/x")).isInstanceOf(ApiException.class);
    release.run();
    slots.take("studio-a", "/x");
    assertThat(slots.open()).isEqualTo(1);
  }

  @Test
  void aBurstNeverHoldsMoreThanEitherCap() throws Exception {
    StreamSlots slots = new StreamSlots(5, 12);
    String[] tenants = {"a", "b", "c", "d"};
    AtomicInteger held = new AtomicInteger();
    AtomicInteger most = new AtomicInteger();
    AtomicInteger mostOfATenant = new AtomicInteger();
    AtomicInteger[] perTenant = {new AtomicInteger(), new AtomicInteger(), new AtomicInteger(), new AtomicInteger()};
    ExecutorService pool = Executors.newFixedThreadPool(8);
    CountDownLatch start = new CountDownLatch(1);
    List<Future<?>> runs = new ArrayList<>();
    try {
      for (int w = 0; w < 8; w++) {
        int worker = w;
        runs.add(pool.submit(() -> {
          start.await();
          for (int i = 0; i < 2_000; i++) {
            int t = (worker + i) % tenants.length;
            Runnable release;
            try {
              release = slots.take(tenants[t], "/x");
            } catch (ApiException refused) {
              continue;
            }
            most.accumulateAndGet(held.incrementAndGet(), Math::max);
            mostOfATenant.accumulateAndGet(perTenant[t].incrementAndGet(), Math::max);
            perTenant[t].decrementAndGet();
            held.decrementAndGet();
            release.run();
          }
          return null;
        }));
      }
      start.countDown();
      for (Future<?> run : runs) {
        run.get(30, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
    assertThat(most.get()).isLessThanOrEqualTo(12);
    assertThat(mostOfATenant.get()).isLessThanOrEqualTo(5);
    assertThat(slots.open()).isZero();
  }
}
