/// Causal grouped-query attention of every segment of a ForwardBatch against its own
/// sequence's KV pages. Work units are (segment, head) pairs split over the pool, each
/// with its own slice of the scores buffer, so results depend neither on the thread count
/// nor on what else is in the batch. A class reused for every layer and step: the pool
/// takes it without boxing a closure.
///
/// For query head h (kv head g = h / (heads / kv_heads)) and row t at position p:
///   s_j = (q_h · K[j, g]) / sqrt(head_dim)   for j ≤ p   (K[j] in page table[j / 16], slot j % 16)
///   out_h = Σ_j softmax(s)_j · V[j, g]
final class AttentionTask: ThreadPoolTask {
    let headCount: Int
    let headDim: Int
    let groupSize: Int
    let qDim: Int
    let maxContext: Int
    let backend: Backend
    let pool: KVPagePool
    let batch: ForwardBatch
    let q: UnsafeMutablePointer<Float>           // [T × qDim]
    let out: UnsafeMutablePointer<Float>         // [T × qDim]
    let scores: UnsafeMutablePointer<Float>      // [threads × maxContext]

    // Per call.
    var layer = 0
    var taskCount = 1

    init(config c: ModelConfig, limits: RuntimeLimits, backend: Backend, pool: KVPagePool, batch: ForwardBatch,
         q: UnsafeMutablePointer<Float>, out: UnsafeMutablePointer<Float>, scores: UnsafeMutablePointer<Float>) {
        headCount = c.headCount
        headDim = c.headDim
        groupSize = c.headCount / c.kvHeadCount
        qDim = c.qDim
        maxContext = limits.maxContext
        self.backend = backend
        self.pool = pool
        self.batch = batch
        self.q = q
        self.out = out
        self.scores = scores
    }

    func run(task: Int) {
        let units = batch.segmentCount * headCount
        for unit in (units * task / taskCount)..<(units * (task + 1) / taskCount) {
            attend(segment: unit / headCount, head: unit % headCount, scores: scores + task * maxContext)
        }
    }

    private func attend(segment: Int, head h: Int, scores: UnsafeMutablePointer<Float>) {
        let layout = pool.layout
        let perPage = KVPageLayout.tokensPerPage
        let scale = 1 / Float(headDim).squareRoot()
        let kvType = layout.type
        let keyType: TensorType = kvType == .f32 ? .f32 : .f16
        let elementBytes = kvType.bytes
        let kvHead = h / groupSize
        let headOffset = kvHead * headDim * elementBytes
        let table = pool.pageTable(batch.segmentSequences[segment])
        let first = batch.segmentFirstRows[segment]
        let start = batch.segmentStarts[segment]
        for t in 0..<batch.segmentRowCounts[segment] {
            let query = q + (first + t) * qDim + h * headDim
            let visible = start + t + 1
            var j = 0
            while j < visible {
                let page = UnsafeRawPointer(pool.page(table[j / perPage]))
                let slots = min(perPage, visible - j)
                for slot in 0..<slots {
                    let index = layout.rowIndex(layer: layer, value: false, slot: slot)
                    let key = page + index * layout.rowBytes + headOffset
                    let dot: Float
                    switch kvType {
                    case .int8:
                        dot = KVRowCodec.int8Dot(key.assumingMemoryBound(to: Int8.self), query, count: headDim,
                                                 scale: KVRowCodec.int8Scale(page: page, layout: layout, rowIndex: index, head: kvHead))
                    case .f32, .f16:
                        dot = backend == .reference
                            ? ReferenceDot.floatWeights(keyType, key, query, count: headDim)
                            : VectorDot.floatWeights(keyType, key, query, count: headDim)
                    }
                    scores[j + slot] = dot * scale
                }
                j += slots
            }
            Ops.softmax(scores, count: visible)
            let o = out + (first + t) * qDim + h * headDim
            for i in 0..<headDim { o[i] = 0 }
            j = 0
            while j < visible {
                let page = UnsafeRawPointer(pool.page(table[j / perPage]))
                let slots = min(perPage, visible - j)
                for slot in 0..<slots {
                    let p = scores[j + slot]
                    let index = layout.rowIndex(layer: layer, value: true, slot: slot)
                    let value = page + index * layout.rowBytes + headOffset
                    switch kvType {
                    case .f32:
                        let v = value.assumingMemoryBound(to: Float.self)
                        for i in 0..<headDim { o[i] += p * v[i] }
                    case .f16:
                        let v = value.assumingMemoryBound(to: UInt16.self)
                        for i in 0..<headDim { o[i] += p * HalfFloat.toFloat(v[i]) }
                    case .int8:
                        let v = value.assumingMemoryBound(to: Int8.self)
                        let pv = p * KVRowCodec.int8Scale(page: page, layout: layout, rowIndex: index, head: kvHead)
                        for i in 0..<headDim { o[i] += pv * Float(v[i]) }
                    }
                }
                j += slots
            }
        }
    }
}
