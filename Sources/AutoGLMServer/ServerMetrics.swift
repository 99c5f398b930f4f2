import Synchronization
import AutoGLM
import CoreMetrics
import Foundation
import Prometheus

/// The daemon's metrics, made through swift-metrics with a factory of our own (not the
/// process-wide MetricsSystem, so several daemons in one test process stay apart) and
/// exported by swift-prometheus in its text format at GET /metrics.
public final class ServerMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    let factory: PrometheusMetricsFactory

    let timeToFirstToken: CoreMetrics.Timer
    let interTokenLatency: CoreMetrics.Timer
    let requestDuration: CoreMetrics.Timer
    let queueDepth: CoreMetrics.Recorder
    let batchSize: CoreMetrics.Recorder
    let kvPagesUsed: CoreMetrics.Recorder
    let kvPagesFree: CoreMetrics.Recorder
    let kvPagesPinned: CoreMetrics.Recorder
    let prefixHitRatio: CoreMetrics.Recorder
    let prefixCachedTokens: CoreMetrics.Counter
    let prefilledTokens: CoreMetrics.Counter
    let generatedTokens: CoreMetrics.Counter
    let preemptions: CoreMetrics.Counter
    let checkpointWrites: CoreMetrics.Counter
    let checkpointsQuarantined: CoreMetrics.Counter
    /// Checkpoint writes that failed (full or read-only disk, I/O errors).
    let checkpointFailures: CoreMetrics.Counter
    /// Sessions whose newest checkpoint write failed: not on disk as they are now.
    let sessionsNotDurable: CoreMetrics.Recorder
    let sessionsRecovered: CoreMetrics.Recorder
    private let prefixTotals = Mutex<(cached: Int, prefilled: Int)>((0, 0))

    /// Buckets for latencies: 1 ms … 60 s.
    static let latencyBuckets: [Duration] = [
        .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50),
        .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2), .seconds(5),
        .seconds(10), .seconds(30), .seconds(60),
    ]

    public init() {
        registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = Self.latencyBuckets
        self.factory = factory
        timeToFirstToken = Timer(label: "autoglm_time_to_first_token_seconds", factory: factory)
        interTokenLatency = Timer(label: "autoglm_inter_token_seconds", factory: factory)
        requestDuration = Timer(label: "autoglm_request_duration_seconds", factory: factory)
        queueDepth = CoreMetrics.Recorder(label: "autoglm_queue_depth", aggregate: false, factory: factory)
        batchSize = CoreMetrics.Recorder(label: "autoglm_batch_size", aggregate: false, factory: factory)
        kvPagesUsed = CoreMetrics.Recorder(label: "autoglm_kv_pages_used", aggregate: false, factory: factory)
        kvPagesFree = CoreMetrics.Recorder(label: "autoglm_kv_pages_free", aggregate: false, factory: factory)
        kvPagesPinned = CoreMetrics.Recorder(label: "autoglm_kv_pages_pinned", aggregate: false, factory: factory)
        prefixHitRatio = CoreMetrics.Recorder(label: "autoglm_prefix_hit_ratio", aggregate: false, factory: factory)
        prefixCachedTokens = CoreMetrics.Counter(label: "autoglm_prefix_cached_tokens_total", factory: factory)
        prefilledTokens = CoreMetrics.Counter(label: "autoglm_prefilled_tokens_total", factory: factory)
        generatedTokens = CoreMetrics.Counter(label: "autoglm_generated_tokens_total", factory: factory)
        preemptions = CoreMetrics.Counter(label: "autoglm_preemptions_total", factory: factory)
        checkpointWrites = CoreMetrics.Counter(label: "autoglm_checkpoint_writes_total", factory: factory)
        checkpointsQuarantined = CoreMetrics.Counter(label: "autoglm_checkpoints_quarantined_total", factory: factory)
        sessionsRecovered = CoreMetrics.Recorder(label: "autoglm_sessions_recovered", aggregate: false, factory: factory)
        checkpointFailures = CoreMetrics.Counter(label: "autoglm_checkpoint_failures_total", factory: factory)
        sessionsNotDurable = CoreMetrics.Recorder(label: "autoglm_sessions_not_durable", aggregate: false, factory: factory)
        // The usual Prometheus build-info gauge: always 1, the version in its label.
        CoreMetrics.Recorder(label: "autoglm_build_info", dimensions: [("version", AutoGLMVersion.current)],
                             aggregate: false, factory: factory).record(1)
        for gauge in [queueDepth, batchSize, prefixHitRatio] { gauge.record(0) }
        preemptions.increment(by: 0)
        checkpointWrites.increment(by: 0)
        checkpointsQuarantined.increment(by: 0)
        checkpointFailures.increment(by: 0)
        sessionsNotDurable.record(0)
        sessionsRecovered.record(0)
    }

    /// One finished HTTP request, by endpoint and status (autoglm_requests_total).
    func countRequest(endpoint: String, status: Int) {
        CoreMetrics.Counter(label: "autoglm_requests_total", dimensions: [("endpoint", endpoint), ("status", String(status))],
                factory: factory).increment()
    }

    /// Prompt tokens found in the KV cache versus computed: the prefix hit ratio.
    func prefixTokens(cached: Int, prefilled: Int) {
        prefixCachedTokens.increment(by: cached)
        prefilledTokens.increment(by: prefilled)
        let ratio = prefixTotals.withLock { totals -> Double in
            totals.cached += cached
            totals.prefilled += prefilled
            let all = totals.cached + totals.prefilled
            return all == 0 ? 0 : Double(totals.cached) / Double(all)
        }
        prefixHitRatio.record(ratio)
    }

    /// `pinned`: cached pages sessions hold between turns (the batched engine's).
    func kvPages(used: Int, free: Int, pinned: Int = 0) {
        kvPagesUsed.record(used)
        kvPagesFree.record(free)
        kvPagesPinned.record(pinned)
    }

    public func prometheusText() -> String { registry.emitToString() }
}
