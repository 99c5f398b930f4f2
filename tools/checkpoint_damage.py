"""Damaged copies of a session checkpoint, shared by tools/crash_sweep.py (the CLI) and
tools/daemon_crash_sweep.py (autoglmd). Offsets follow docs/checkpoints.md: the file
header is magic (8 bytes), version (u32 at 8), section count, and its CRC32C at 16 over
the first 16 bytes; the HEAD section follows; the KV pages end the file."""


def crc32c(data):
    """CRC32C (Castagnoli), bit by bit: slow, but independent of the code under test."""
    crc = 0xFFFFFFFF
    for x in data:
        crc ^= x
        for _ in range(8):
            crc = (crc >> 1) ^ 0x82F63B78 if crc & 1 else crc >> 1
    return crc ^ 0xFFFFFFFF


def generation_state(data):
    """(KV positions, finished) from the GENS section: walks the section headers (tag u32,
    payload length u64, CRC u32) after the 20-byte file header."""
    import struct
    at = 20
    while at + 16 <= len(data):
        tag, length = data[at:at + 4], struct.unpack_from("<Q", data, at + 4)[0]
        payload = data[at + 16: at + 16 + length]
        if tag == b"GENS":
            kv_positions = struct.unpack_from("<I", payload, 12)[0]
            return kv_positions, payload[21] == 1
        at += 16 + length
    raise ValueError("no GENS section")


def damaged_copies(data):
    """(label, bytes, expected quarantine kind, or None when only the KV pages are
    damaged and the session must be rebuilt from its tokens)."""
    import struct
    out = []
    b = bytearray(data); b[40] ^= 0x10
    out.append(("flipped byte in HEAD", bytes(b), "damaged"))
    b = bytearray(data); b[len(b) - 100] ^= 0x01
    out.append(("flipped byte in KV pages", bytes(b), None))
    out.append(("truncated", data[: len(data) // 2], "truncated"))
    b = bytearray(data); b[8:12] = struct.pack("<I", 99)
    b[16:20] = struct.pack("<I", crc32c(bytes(b[:16])))
    out.append(("version 99", bytes(b), "version"))
    return out
