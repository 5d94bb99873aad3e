package io.flowreel.gateway;

import io.flowreel.submission.PackCatalog;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

/**
 * The model packs this gateway serves, loaded (and every file verified) once: submissions are checked against
 * them and {@code /v1/packs} describes them, so the two cannot disagree.
 */
public class GatewayPacks {

  @Produces
  @Singleton
  PackCatalog packs(GatewayConfig config) {
    return PackCatalog.load(config.packs().dir().orElse(config.home().resolve("models")),
        config.packs().defaultPack(), config.packs().served());
  }
}
