/// Causal grouped-query attention of T new tokens against a sequence's KV cache.
/// Heads are split over the pool (each head owned by one task, with its own slice of
/// the scores buffer), so results do not depend on the thread count. A class reused
/// for every layer and step: the pool takes it without boxing a closure.
///
/// For query head h (kv head g = h / (heads / kv_heads)) and token t at position p:
///   s_j = (q_h · K[j, g]) / sqrt(head_dim)   for j ≤ p
///   out_h = Σ_j softmax(s)_j · V[j, g]
final class AttentionTask: ThreadPoolTask {
    let headCount: Int
    let headDim: Int
    let groupSize: Int
    let qDim: Int
    let kvDim: Int
    let maxContext: Int
    let backend: Backend
    let kvType: KVCacheType
    let q: UnsafeMutablePointer<Float>           // [T × qDim]
    let out: UnsafeMutablePointer<Float>         // [T × qDim]
    let scores: UnsafeMutablePointer<Float>      // [threads × maxContext]

    // Per call.
    var keys = UnsafeMutableRawPointer(bitPattern: 64)!    // [maxContext × kvDim]
    var values = UnsafeMutableRawPointer(bitPattern: 64)!  // [maxContext × kvDim]
    var tokens = 0
    var startPosition = 0
    var taskCount = 1

    init(config c: ModelConfig, limits: RuntimeLimits, backend: Backend,
         q: UnsafeMutablePointer<Float>, out: UnsafeMutablePointer<Float>, scores: UnsafeMutablePointer<Float>) {
        headCount = c.headCount
        headDim = c.headDim
        groupSize = c.headCount / c.kvHeadCount
        qDim = c.qDim
        kvDim = c.kvDim
        maxContext = limits.maxContext
        self.backend = backend
        kvType = limits.kvType
        self.q = q
        self.out = out
        self.scores = scores
    }

    func run(task: Int) {
        let scores = self.scores + task * maxContext
        let scale = 1 / Float(headDim).squareRoot()
        let elementBytes = kvType.bytes
        let keyType: TensorType = kvType == .f32 ? .f32 : .f16
        for h in (headCount * task / taskCount)..<(headCount * (task + 1) / taskCount) {
            let kvHead = h / groupSize
            for t in 0..<tokens {
                let query = q + t * qDim + h * headDim
                let visible = startPosition + t + 1
                for j in 0..<visible {
                    let key = UnsafeRawPointer(keys + (j * kvDim + kvHead * headDim) * elementBytes)
                    let dot = backend == .reference
                        ? ReferenceDot.floatWeights(keyType, key, query, count: headDim)
                        : VectorDot.floatWeights(keyType, key, query, count: headDim)
                    scores[j] = dot * scale
                }
                Ops.softmax(scores, count: visible)
                let o = out + t * qDim + h * headDim
                for i in 0..<headDim { o[i] = 0 }
                for j in 0..<visible {
                    let p = scores[j]
                    let value = values + (j * kvDim + kvHead * headDim) * elementBytes
                    if kvType == .f32 {
                        let v = value.assumingMemoryBound(to: Float.self)
                        for i in 0..<headDim { o[i] += p * v[i] }
                    } else {
                        let v = value.assumingMemoryBound(to: UInt16.self)
                        for i in 0..<headDim { o[i] += p * HalfFloat.toFloat(v[i]) }
                    }
                }
            }
        }
    }
}
