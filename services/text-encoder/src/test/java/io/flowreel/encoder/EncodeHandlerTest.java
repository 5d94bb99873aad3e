package io.flowreel.encoder;

import static io.flowreel.service.testing.TestTasks.spec;
import static io.flowreel.service.testing.TestTasks.task;
import static org.assertj.core.api.Assertions.assertThat;

import io.flowreel.artifacts.Conditioning;
import io.flowreel.engine.InferenceEngine;
import io.flowreel.engine.OnnxRuntimeEngine;
import io.flowreel.messages.JobSpec;
import io.flowreel.messages.RenderTask;
import io.flowreel.messages.Stage;
import io.flowreel.pack.ModelPack;
import io.flowreel.runtime.Artifact;
import io.flowreel.service.testing.HandlerFixture;
import io.flowreel.service.testing.TestTasks;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** ENCODE on the real tiny pack against a real S3 server. */
class EncodeHandlerTest {

  private static final ModelPack PACK = HandlerFixture.tinyPack();
  private static final InferenceEngine ENGINE = OnnxRuntimeEngine.forPack(PACK);
  private static final EncodeHandler ENCODE = new EncodeHandler(PACK, ENGINE);

  @RegisterExtension static final HandlerFixture FIXTURE = new HandlerFixture();

  @Test
  void conditioningHoldsBothPromptsPerDitInput() throws Exception {
    RenderTask task = RenderTask.newBuilder(task(spec("cond"), 1))
        .setRewrittenPrompt("A red ball bouncing on a blue floor. Soft light.").build();
    Artifact conditioning = ENCODE.handle(task, FIXTURE.context()).artifacts().get(0);
    assertThat(conditioning.name()).isEqualTo(Conditioning.NAME);
    assertThat(conditioning.key()).isEqualTo("jobs/cond/attempt-1/encode/conditioning.safetensors");
    List<String> names = conditioning.tensors().stream().map(Artifact.TensorInfo::name).toList();
    assertThat(names).allMatch(n -> n.startsWith("positive.") || n.startsWith("negative."))
        .contains("positive.clip_pooled", "negative.clip_pooled");
  }

  @Test
  void encodesTheRewrittenPromptWhenThereIsOne() throws Exception {
    String rewritten = "A red ball bouncing on a blue floor. Soft light.";
    // Without rewriting, the spec's own prompt is encoded: give it the rewritten text.
    RenderTask asWritten = task(JobSpec.newBuilder(spec("plain", 64, 64, 5, 4, false, true)).setPrompt(rewritten)
        .build(), 1);
    RenderTask rewrittenTask = RenderTask.newBuilder(task(spec("rewritten"), 1)).setRewrittenPrompt(rewritten).build();

    Conditioning fromSpec = Conditioning.read(FIXTURE.context(),
        TestTasks.with(asWritten, ENCODE.handle(asWritten, FIXTURE.context()).artifacts().get(0)));
    Conditioning fromRewrite = Conditioning.read(FIXTURE.context(),
        TestTasks.with(rewrittenTask, ENCODE.handle(rewrittenTask, FIXTURE.context()).artifacts().get(0)));
    assertThat(fromRewrite.positive().keySet()).isEqualTo(fromSpec.positive().keySet());
    fromSpec.positive().forEach((input, t) -> assertThat(fromRewrite.positive().get(input).data()).as(input)
        .isEqualTo(t.data()));
  }

  @Test
  void encodeRunsTheTextEncodersAndReportsItsEngine() {
    assertThat(EncodeHandler.networks(PACK)).containsExactly("text_clip", "text_byt5", "text_ul2");
    assertThat(ENCODE.stage()).isEqualTo(Stage.ENCODE);
    assertThat(ENCODE.engine()).contains("onnxruntime");
  }
}
