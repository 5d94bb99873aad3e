package io.flowreel.contract;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class TenantSettingsTest {

  @Test
  void aNamedTenantThenTheStarThenTheFallback() {
    TenantSettings settings = TenantSettings.parse(" studio-a=3, *=2 ", "weight");
    assertThat(settings.of("studio-a", 1)).isEqualTo(3);
    assertThat(settings.of("studio-b", 1)).isEqualTo(2);
    assertThat(TenantSettings.parse("studio-a=3", "weight").of("studio-b", 1)).isEqualTo(1);
    assertThat(TenantSettings.parse("  ", "weight").of("studio-b", 7)).isEqualTo(7);
  }

  @Test
  void badSettingsSayWhichTenantAndWhy() {
    assertThatThrownBy(() -> TenantSettings.parse("studio-a", "queue quota"))
        .hasMessage("queue quota 'studio-a' is not TENANT=NUMBER (or *=NUMBER)");
    assertThatThrownBy(() -> TenantSettings.parse("studio-a=lots", "queue quota"))
        .hasMessage("queue quota of tenant studio-a is not a number: lots");
    assertThatThrownBy(() -> TenantSettings.parse("studio-a=0", "weight"))
        .hasMessage("weight of tenant studio-a is 0.0: it must be > 0");
    assertThatThrownBy(() -> TenantSettings.parse("a=1,a=2", "weight"))
        .hasMessage("weight of tenant a is given twice");
  }
}
