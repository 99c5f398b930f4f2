/// Strings read from a file (GGUF keys, tensor names, token texts, type names) go into
/// error messages and terminals. A hostile file can make them 64 KB of NULs or escape
/// sequences, so every error shows them only through `quoted`: printable ASCII kept,
/// everything else escaped, at most `UntrustedText.maxShownCharacters` characters.
public enum UntrustedText {
    /// Escaped characters shown before the ellipsis: enough for any real key or tensor
    /// name (the spec caps names at 64 bytes), short enough for one terminal line.
    public static let maxShownCharacters = 120

    /// `'text'`, or `'first 120 characters'… (N bytes)` when longer. Quotes and
    /// backslashes inside are escaped, so the quotes always delimit the file's string.
    public static func quoted(_ text: String, maxCharacters: Int = maxShownCharacters) -> String {
        let (body, complete) = escaped(text, maxCharacters: maxCharacters, asciiOnly: true, quote: "'")
        return complete ? "'" + body + "'" : "'" + body + "'… (\(text.utf8.count) bytes)"
    }

    /// The escaped form of `text` and whether all of it fits in `maxCharacters`.
    /// `asciiOnly` escapes every non-ASCII scalar too (errors); previews that show
    /// real token texts keep printable Unicode.
    static func escaped(_ text: String, maxCharacters: Int, asciiOnly: Bool,
                        quote: Unicode.Scalar) -> (String, complete: Bool) {
        var out = ""
        var shown = 0
        for scalar in text.unicodeScalars {
            var piece: String
            switch scalar {
            case "\n": piece = "\\n"
            case "\t": piece = "\\t"
            case "\r": piece = "\\r"
            case "\0": piece = "\\0"
            case "\\": piece = "\\\\"
            case quote: piece = "\\"; piece.unicodeScalars.append(quote)
            case _ where scalar.value < 0x20 || scalar.value == 0x7F: piece = "\\x" + paddedHex(scalar.value, digits: 2)
            case _ where scalar.value > 0x7F && (asciiOnly || isUnicodeControl(scalar.value)):
                piece = "\\u{" + hex(UInt64(scalar.value)) + "}"
            default: piece = ""; piece.unicodeScalars.append(scalar)
            }
            let width = piece.unicodeScalars.count
            if shown + width > maxCharacters { return (out, false) }
            out += piece
            shown += width
        }
        return (out, true)
    }

    /// C1 controls and the bidirectional overrides: invisible, and able to reorder what
    /// a terminal shows.
    private static func isUnicodeControl(_ v: UInt32) -> Bool {
        (0x80...0x9F).contains(v) || (0x202A...0x202E).contains(v) || (0x2066...0x2069).contains(v)
    }

    private static func paddedHex(_ v: UInt32, digits: Int) -> String {
        let h = hex(UInt64(v))
        return String(repeating: "0", count: max(0, digits - h.utf8.count)) + h
    }
}

/// Shorthand for the error messages of Core: a file-derived string, quoted and bounded.
func quoted(_ text: String) -> String { UntrustedText.quoted(text) }
