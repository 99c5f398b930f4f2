/// Where things sit inside one KV page. A page holds `tokensPerPage` consecutive
/// positions of one sequence for every layer:
///
///   rows:   [layer][K|V][slot < tokensPerPage][kvDim]       elements of the KV type
///   scales: [layer][K|V][slot][kvHead]                      f32, INT8 pages only
///
/// Keeping all layers of a position range in one page means a sequence needs one page
/// table for the whole model, and a page is shared or evicted as a unit.
public struct KVPageLayout: Equatable, Sendable {
    /// Positions per page: small enough that a page's worth of waste per sequence is
    /// cheap, large enough that page-table lookups are rare inside the attention loop.
    public static let tokensPerPage = 16
    /// Page ids are Int32 in page tables; far more than any board's memory holds.
    public static let maxPages = 1 << 24

    public let type: KVCacheType
    public let layerCount: Int
    public let kvDim: Int
    public let kvHeadCount: Int
    public let headDim: Int
    /// Bytes of one token's K (or V) row of one layer: kvDim elements.
    public let rowBytes: Int
    /// Offset of the INT8 scales inside a page (== value bytes).
    public let scalesOffset: Int
    /// Whole page, rounded up to the arena alignment.
    public let pageBytes: Int

    public init(config c: ModelConfig, type: KVCacheType) throws(CoreError) {
        self.type = type
        layerCount = c.layerCount
        kvDim = c.kvDim
        kvHeadCount = c.kvHeadCount
        headDim = c.headDim
        rowBytes = c.kvDim * type.bytes
        let rows = c.layerCount * 2 * Self.tokensPerPage
        let (valueBytes, o1) = rows.multipliedReportingOverflow(by: rowBytes)
        let (scaleBytes, o2) = (rows * c.kvHeadCount).multipliedReportingOverflow(by: type == .int8 ? 4 : 0)
        guard !o1, !o2 else { throw .memory(.sizeOverflow(what: "KV page")) }
        scalesOffset = valueBytes
        let total = valueBytes + scaleBytes
        pageBytes = (total + MemoryPlan.alignment - 1) / MemoryPlan.alignment * MemoryPlan.alignment
    }

    /// Index of the (layer, K|V, slot) row among a page's rows.
    @inline(__always)
    func rowIndex(layer: Int, value: Bool, slot: Int) -> Int {
        (layer * 2 + (value ? 1 : 0)) * Self.tokensPerPage + slot
    }
}
