package io.flowreel.service;

import java.util.Map;

/**
 * Which engine a stage runs its networks on and why, as the readiness check reports it:
 * {@code onnxruntime}, {@code tensorrt} (with its version, GPU, precision, buckets and cache in
 * {@code details}) or {@code none}.
 */
public record EngineInfo(String kind, String reason, Map<String, String> details) {}
