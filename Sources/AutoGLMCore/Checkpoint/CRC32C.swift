/// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), the checksum of iSCSI (RFC 3720),
/// ext4 and Btrfs metadata: better at catching burst errors in storage than CRC-32, which
/// is why each checkpoint section carries one. Byte-at-a-time with a 256-entry table.
public struct CRC32C {
    public static let reflectedPolynomial: UInt32 = 0x82F6_3B78
    static let table: [UInt32] = makeTable()

    /// Running register (pre-inverted); `value` is the finished checksum.
    private var register: UInt32 = 0xFFFF_FFFF

    public init() {}

    public var value: UInt32 { register ^ 0xFFFF_FFFF }

    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress else { return }
        var r = register
        Self.table.withUnsafeBufferPointer { t in
            for i in 0..<bytes.count {
                let b = base.load(fromByteOffset: i, as: UInt8.self)
                r = t[Int((r ^ UInt32(b)) & 0xFF)] ^ (r >> 8)
            }
        }
        register = r
    }

    public static func checksum(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        var crc = CRC32C()
        crc.update(bytes)
        return crc.value
    }

    public static func checksum(_ bytes: [UInt8]) -> UInt32 {
        bytes.withUnsafeBytes { checksum($0) }
    }

    private static func makeTable() -> [UInt32] {
        var table = [UInt32](repeating: 0, count: 256)
        for i in 0..<256 {
            var r = UInt32(i)
            for _ in 0..<8 { r = (r & 1) != 0 ? (r >> 1) ^ reflectedPolynomial : r >> 1 }
            table[i] = r
        }
        return table
    }
}
