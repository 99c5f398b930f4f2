import Testing
@testable import AutoGLMCore

/// CRC-32C against the iSCSI test vectors of RFC 3720 (appendix B.4) and the common
/// "123456789" check value of the Castagnoli polynomial.
@Suite struct CRC32CTests {
    @Test func rfc3720Vectors() {
        #expect(CRC32C.checksum([UInt8](repeating: 0, count: 32)) == 0x8A91_36AA)
        #expect(CRC32C.checksum([UInt8](repeating: 0xFF, count: 32)) == 0x62A8_AB43)
        #expect(CRC32C.checksum((0..<32).map { UInt8($0) }) == 0x46DD_794E)
        #expect(CRC32C.checksum((0..<32).map { UInt8(31 - $0) }) == 0x113F_DB5C)
    }

    @Test func checkValue() {
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
        #expect(CRC32C.checksum([]) == 0)
    }

    @Test func updatingInPiecesEqualsOneShot() {
        var rng = SamplerRNG(seed: 7)
        let bytes = (0..<1000).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        for split in [0, 1, 3, 500, 999, 1000] {
            var crc = CRC32C()
            bytes.withUnsafeBytes { b in
                crc.update(UnsafeRawBufferPointer(rebasing: b[0..<split]))
                crc.update(UnsafeRawBufferPointer(rebasing: b[split...]))
            }
            #expect(crc.value == CRC32C.checksum(bytes), "split at \(split)")
        }
    }
}
