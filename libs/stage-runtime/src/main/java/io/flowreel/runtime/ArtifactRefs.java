package io.flowreel.runtime;

import io.flowreel.contract.Stages;
import io.flowreel.messages.ArtifactFormat;
import io.flowreel.messages.ArtifactRef;
import io.flowreel.messages.Stage;
import io.flowreel.messages.TensorRef;
import java.util.List;
import java.util.Locale;

/** Maps stored artifacts to their wire form on tasks and events, and back. */
public final class ArtifactRefs {

  private ArtifactRefs() {}

  public static ArtifactRef toWire(Artifact a) {
    List<TensorRef> tensors = a.tensors().stream()
        .map(t -> new TensorRef(t.name(), t.dtype(), t.shape())).toList();
    return ArtifactRef.newBuilder()
        .setStage(Stage.valueOf(a.stage().toUpperCase(Locale.ROOT)))
        .setName(a.name()).setBucket(a.bucket()).setKey(a.key()).setSha256(a.sha256()).setSize(a.size())
        .setFormat(ArtifactFormat.valueOf(a.format().name()))
        .setTensors(tensors)
        .build();
  }

  public static Artifact fromWire(ArtifactRef r) {
    List<Artifact.TensorInfo> tensors = r.getTensors().stream()
        .map(t -> new Artifact.TensorInfo(t.getName(), t.getDtype(), t.getShape())).toList();
    Artifact.Format format;
    try {
      format = Artifact.Format.valueOf(r.getFormat().name());
    } catch (IllegalArgumentException e) {
      throw new CorruptArtifactException("artifact " + r.getName() + " has unknown format " + r.getFormat());
    }
    return new Artifact(Stages.id(r.getStage()), r.getName(), r.getBucket(), r.getKey(), r.getSha256(), r.getSize(),
        format, tensors);
  }

  /** The newest artifact of that name on the task, or a clear error if an earlier stage did not store it. */
  public static Artifact find(io.flowreel.messages.RenderTask task, String name) {
    List<ArtifactRef> refs = task.getArtifacts();
    for (int i = refs.size() - 1; i >= 0; i--) {
      if (refs.get(i).getName().equals(name)) {
        return fromWire(refs.get(i));
      }
    }
    throw new CorruptArtifactException("task of job " + task.getSpec().getJobId() + " carries no '" + name
        + "' artifact; it has " + refs.stream().map(ArtifactRef::getName).toList());
  }
}
