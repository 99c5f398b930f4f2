import CAutoGLMSys

/// The one allocation the runtime makes at start-up, carved into the plan's regions.
/// Zero-filled once, so untouched KV pages read as zeros rather than garbage.
public final class Arena {
    public let plan: MemoryPlan
    public let base: UnsafeMutableRawPointer

    public init(plan: MemoryPlan) throws(CoreError) {
        guard let p = aglm_aligned_alloc(MemoryPlan.alignment, plan.arenaBytes) else {
            throw .memory(.allocationFailed(bytes: plan.arenaBytes))
        }
        p.initializeMemory(as: UInt8.self, repeating: 0, count: plan.arenaBytes)
        self.plan = plan
        self.base = p
    }

    deinit { aglm_free(base) }

    public func floats(_ name: String) -> UnsafeMutablePointer<Float> {
        (base + plan.entry(name).offset).assumingMemoryBound(to: Float.self)
    }

    public func raw(_ name: String) -> UnsafeMutableRawPointer {
        base + plan.entry(name).offset
    }
}
