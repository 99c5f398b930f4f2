/// One transformer block's weights. Optional members are what some families lack.
public struct LayerWeights {
    public let attentionNorm: UnsafePointer<Float>
    public var wq: WeightMatrix
    public var wk: WeightMatrix
    public var wv: WeightMatrix
    public let bq: UnsafePointer<Float>?
    public let bk: UnsafePointer<Float>?
    public let bv: UnsafePointer<Float>?
    public var wo: WeightMatrix
    /// GLM-4: norm of the attention output before the residual add.
    public let postAttentionNorm: UnsafePointer<Float>?
    public let ffnNorm: UnsafePointer<Float>
    /// nil when gate and up are fused into `wUp` (GLM: rows [gate; up]).
    public var wGate: WeightMatrix?
    public var wUp: WeightMatrix
    public var wDown: WeightMatrix
    /// GLM-4: norm of the MLP output before the residual add.
    public let postFfnNorm: UnsafePointer<Float>?
}

/// Looks tensors up by llama.cpp's names and checks each one's type and shape before
/// handing out a pointer into the mapping.
struct WeightLoader {
    let gguf: GGUFFile

    func matrix(_ name: String, rows: Int, cols: Int) throws(CoreError) -> WeightMatrix {
        guard let t = gguf.tensor(named: name) else { throw .model(.missingTensor(name: name)) }
        return try check(t, rows: rows, cols: cols)
    }

    func optionalMatrix(_ name: String, rows: Int, cols: Int) throws(CoreError) -> WeightMatrix? {
        guard let t = gguf.tensor(named: name) else { return nil }
        return try check(t, rows: rows, cols: cols)
    }

    private func check(_ t: GGUFTensorInfo, rows: Int, cols: Int) throws(CoreError) -> WeightMatrix {
        guard t.shape.count == 2, t.shape[0] == cols, t.shape[1] == rows else {
            throw .model(.wrongShape(tensor: t.name, expected: [cols, rows], found: t.shape))
        }
        if t.type == .int8 { return try Int8Format.matrix(t, in: gguf, rows: rows, cols: cols) }
        let data = gguf.data(for: t)
        if let bad = BlockScaleCheck.firstNonFinite(t.type, data, blocks: t.elementCount / t.type.blockSize) {
            throw .model(.nonFiniteBlockScale(tensor: t.name, type: t.type.name, block: bad.block, bits: bad.bits))
        }
        return WeightMatrix(name: t.name, type: t.type, rows: rows, cols: cols, data: data)
    }

    /// A 1-D F32 tensor (norm weights, biases, RoPE factors).
    func vector(_ name: String, count: Int) throws(CoreError) -> UnsafePointer<Float> {
        guard let v = try optionalVector(name, count: count) else { throw .model(.missingTensor(name: name)) }
        return v
    }

    func optionalVector(_ name: String, count: Int) throws(CoreError) -> UnsafePointer<Float>? {
        guard let t = gguf.tensor(named: name) else { return nil }
        guard t.elementCount == count, t.shape[0] == count else {
            throw .model(.wrongShape(tensor: name, expected: [count], found: t.shape))
        }
        guard t.type == .f32 else { throw .model(.unsupportedTensorType(tensor: name, type: t.type.name)) }
        // The data section is aligned (≥ 32 bytes, checked at parse), so Float loads are aligned.
        return gguf.data(for: t).assumingMemoryBound(to: Float.self)
    }
}
