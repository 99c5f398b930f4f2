import CAutoGLMKernels

/// Causal grouped-query attention of every segment of a ForwardBatch against its own
/// sequence's KV pages. Work units are (segment, KV head) pairs split over the pool: a
/// unit serves the whole query group of its KV head, so each K and V row is read (and
/// widened from f16) once per group rather than once per query head. Each unit owns its
/// slice of the scores buffer, so results depend neither on the thread count nor on what
/// else is in the batch. A class reused for every layer and step: the pool takes it
/// without boxing a closure.
///
/// For query head h (kv head g = h / (heads / kv_heads)) and row t at position p:
///   s_j = (q_h · K[j, g]) / sqrt(head_dim)   for j ≤ p   (K[j] in page table[j / 16], slot j % 16)
///   out_h = Σ_j softmax(s)_j · V[j, g]
final class AttentionTask: ThreadPoolTask {
    let headCount: Int
    let kvHeadCount: Int
    let headDim: Int
    let groupSize: Int
    let qDim: Int
    let maxContext: Int
    let backend: Backend
    /// The C kernel path (scalar for the reference backend): which float, softmax and value
    /// kernels may run.
    let path: KernelPath
    let pool: KVPagePool
    let batch: ForwardBatch
    let q: UnsafeMutablePointer<Float>           // [T × qDim]
    let out: UnsafeMutablePointer<Float>         // [T × qDim]
    let scratch: UnsafeMutablePointer<Float>     // [threads × (groupSize × maxContext + headDim)]

    // Per call.
    var layer = 0
    var taskCount = 1

    init(config c: ModelConfig, limits: RuntimeLimits, backend: Backend, path: KernelPath, pool: KVPagePool, batch: ForwardBatch,
         q: UnsafeMutablePointer<Float>, out: UnsafeMutablePointer<Float>, scores: UnsafeMutablePointer<Float>) {
        headCount = c.headCount
        kvHeadCount = c.kvHeadCount
        headDim = c.headDim
        groupSize = c.headCount / c.kvHeadCount
        qDim = c.qDim
        maxContext = limits.maxContext
        self.backend = backend
        self.path = backend == .reference ? .scalar : path
        self.pool = pool
        self.batch = batch
        self.q = q
        self.out = out
        scratch = scores
    }

    /// Floats of one task's scratch (its group's scores, then one widened head row),
    /// rounded up to a multiple of `ThreadPool.flagStride` bytes: with the arena's 64-byte
    /// alignment, tasks running on different threads never write the same cache line.
    static func scratchFloatsPerTask(groupSize: Int, maxContext: Int, headDim: Int) -> Int {
        let floatsPerLine = ThreadPool.flagStride / MemoryLayout<Float>.size
        return (groupSize * maxContext + headDim + floatsPerLine - 1) / floatsPerLine * floatsPerLine
    }

    /// Work units of the current batch.
    var unitCount: Int { batch.segmentCount * kvHeadCount }

    func run(task: Int) {
        let units = unitCount
        let perTask = Self.scratchFloatsPerTask(groupSize: groupSize, maxContext: maxContext, headDim: headDim)
        let scores = scratch + task * perTask
        let row = scores + groupSize * maxContext
        for unit in (units * task / taskCount)..<(units * (task + 1) / taskCount) {
            attend(segment: unit / kvHeadCount, kvHead: unit % kvHeadCount, scores: scores, row: row)
        }
    }

    /// A K or V head row as f32: f32 rows are used in place, f16 ones widened into `row`.
    @inline(__always)
    private func widened(_ p: UnsafeRawPointer, type: KVCacheType, into row: UnsafeMutablePointer<Float>) -> UnsafePointer<Float> {
        if type == .f32 { return p.assumingMemoryBound(to: Float.self) }
        let h = p.assumingMemoryBound(to: UInt16.self)
        for i in 0..<headDim { row[i] = HalfFloat.toFloat(h[i]) }
        return UnsafePointer(row)
    }

    private func attend(segment: Int, kvHead: Int, scores: UnsafeMutablePointer<Float>, row: UnsafeMutablePointer<Float>) {
        let layout = pool.layout
        let perPage = KVPageLayout.tokensPerPage
        let scale = 1 / Float(headDim).squareRoot()
        let kvType = layout.type
        let headOffset = kvHead * headDim * kvType.bytes
        let table = pool.pageTable(batch.segmentSequences[segment])
        let first = batch.segmentFirstRows[segment]
        let start = batch.segmentStarts[segment]
        let firstHead = kvHead * groupSize
        // Float K/V rows go through the C kernels (same bits) unless this is the reference backend.
        let kernelType: Int32? = backend == .reference ? nil : kvType == .f32 ? AGLM_FLOAT_F32 : kvType == .f16 ? AGLM_FLOAT_F16 : nil
        let keysOffset = layout.rowIndex(layer: layer, value: false, slot: 0) * layout.rowBytes + headOffset
        let valuesOffset = layout.rowIndex(layer: layer, value: true, slot: 0) * layout.rowBytes + headOffset
        for t in 0..<batch.segmentRowCounts[segment] {
            let queries = q + (first + t) * qDim + firstHead * headDim
            let visible = start + t + 1
            var j = 0
            while j < visible {
                let page = UnsafeRawPointer(pool.page(table[j / perPage]))
                let slots = min(perPage, visible - j)
                if let kernelType, aglm_float_matmul(path.rawValue, kernelType, page + keysOffset, Int64(layout.rowBytes), Int64(headDim), 0,
                                                     Int64(slots), queries, Int64(headDim), Int64(groupSize), scores + j,
                                                     Int64(maxContext)) != 0 {
                    // The page's keys against the group's queries as one small matmul: the same dots.
                    for g in 0..<groupSize {
                        for slot in 0..<slots { scores[g * maxContext + j + slot] = scores[g * maxContext + j + slot] * scale }
                    }
                    j += slots
                    continue
                }
                for slot in 0..<slots {
                    let index = layout.rowIndex(layer: layer, value: false, slot: slot)
                    let key = page + index * layout.rowBytes + headOffset
                    if kvType == .int8 {
                        let k8 = key.assumingMemoryBound(to: Int8.self)
                        let keyScale = KVRowCodec.int8Scale(page: page, layout: layout, rowIndex: index, head: kvHead)
                        for g in 0..<groupSize {
                            scores[g * maxContext + j + slot] = KVRowCodec.int8Dot(k8, queries + g * headDim, count: headDim, scale: keyScale) * scale
                        }
                    } else {
                        let k = UnsafeRawPointer(widened(key, type: kvType, into: row))
                        for g in 0..<groupSize {
                            let dot = backend == .reference
                                ? ReferenceDot.floatWeights(.f32, k, queries + g * headDim, count: headDim)
                                : VectorDot.floatWeights(.f32, k, queries + g * headDim, count: headDim)
                            scores[g * maxContext + j + slot] = dot * scale
                        }
                    }
                }
                j += slots
            }
            for g in 0..<groupSize {
                Ops.softmax(scores + g * maxContext, count: visible, path: path)
                let o = out + (first + t) * qDim + (firstHead + g) * headDim
                for i in 0..<headDim { o[i] = 0 }
            }
            j = 0
            while j < visible {
                let page = UnsafeRawPointer(pool.page(table[j / perPage]))
                let slots = min(perPage, visible - j)
                if let kernelType, valueRowsByKernel(kernelType, page + valuesOffset, slots: slots, scores: scores + j,
                                                     out: out + (first + t) * qDim + firstHead * headDim) {
                    j += slots
                    continue
                }
                for slot in 0..<slots {
                    let index = layout.rowIndex(layer: layer, value: true, slot: slot)
                    let value = page + index * layout.rowBytes + headOffset
                    if kvType == .int8 {
                        let v = value.assumingMemoryBound(to: Int8.self)
                        let valueScale = KVRowCodec.int8Scale(page: page, layout: layout, rowIndex: index, head: kvHead)
                        for g in 0..<groupSize {
                            let o = out + (first + t) * qDim + (firstHead + g) * headDim
                            let pv = scores[g * maxContext + j + slot] * valueScale
                            for i in 0..<headDim { o[i] += pv * Float(v[i]) }
                        }
                    } else {
                        let v = widened(value, type: kvType, into: row)
                        for g in 0..<groupSize {
                            let o = out + (first + t) * qDim + (firstHead + g) * headDim
                            let p = scores[g * maxContext + j + slot]
                            for i in 0..<headDim { o[i] += p * v[i] }
                        }
                    }
                }
                j += slots
            }
        }
    }

    /// out_g += Σ_slot p_g,slot · V[slot] for every query head g of the group, over one
    /// page's `slots` consecutive value rows at `values`; false when the kernel did not run.
    @inline(__always)
    private func valueRowsByKernel(_ type: Int32, _ values: UnsafeRawPointer, slots: Int, scores: UnsafePointer<Float>,
                                   out: UnsafeMutablePointer<Float>) -> Bool {
        for g in 0..<groupSize {
            if aglm_weighted_row_sum(path.rawValue, type, values, Int64(pool.layout.rowBytes), Int64(slots), scores + g * maxContext,
                                     out + g * headDim, Int64(headDim)) == 0 {
                precondition(g == 0, "the value kernel ran for some heads only")
                return false
            }
        }
        return true
    }
}
