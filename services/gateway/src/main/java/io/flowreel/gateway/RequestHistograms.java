package io.flowreel.gateway;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.distribution.DistributionStatisticConfig;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

/**
 * The API's request times by route and status as histograms ({@code http_server_requests_seconds_bucket}), so that
 * an operator's percentiles add up over any number of gateways; Quarkus exports only count, sum and max by default.
 */
public class RequestHistograms {

  @Produces
  @Singleton
  MeterFilter requestTimesAsHistograms() {
    return new MeterFilter() {
      @Override
      public DistributionStatisticConfig configure(Meter.Id id, DistributionStatisticConfig config) {
        return id.getName().equals("http.server.requests")
            ? DistributionStatisticConfig.builder().percentilesHistogram(true).build().merge(config)
            : config;
      }
    };
  }
}
