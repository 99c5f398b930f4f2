import Foundation

/// A decoded JSON request body with typed field reads. Every wrong type, out-of-range
/// number or unknown value becomes a 400 naming the field; nothing is trusted.
struct JSONFields {
    let object: [String: Any]

    /// Parses a body: must be valid UTF-8 JSON whose top level is an object.
    init(body: [UInt8]) throws(APIError) {
        guard !body.isEmpty else { throw .invalidRequest("the request body is empty; expected a JSON object") }
        // JSONSerialization accepts some invalid UTF-8 by substitution: check first.
        guard String(validating: body, as: UTF8.self) != nil else {
            throw .invalidRequest("the request body is not valid UTF-8", code: "invalid_utf8")
        }
        let parsed: Any
        do { parsed = try JSONSerialization.jsonObject(with: Data(body), options: []) } catch {
            throw .invalidRequest("the request body is not valid JSON", code: "invalid_json")
        }
        guard let object = parsed as? [String: Any] else {
            throw .invalidRequest("the request body must be a JSON object", code: "invalid_json")
        }
        self.object = object
    }

    init(object: [String: Any]) { self.object = object }

    func has(_ key: String) -> Bool { object[key] != nil && !(object[key] is NSNull) }

    func string(_ key: String) throws(APIError) -> String? {
        guard has(key) else { return nil }
        guard let value = object[key] as? String else {
            throw .invalidRequest("\(key) must be a string", param: key)
        }
        return value
    }

    func bool(_ key: String) throws(APIError) -> Bool? {
        guard has(key) else { return nil }
        guard let number = object[key] as? NSNumber, isBool(number) else {
            throw .invalidRequest("\(key) must be true or false", param: key)
        }
        return number.boolValue
    }

    /// An integer within `range`; 1.0 counts as 1, 1.5 and 1e300 do not.
    func int(_ key: String, in range: ClosedRange<Int>) throws(APIError) -> Int? {
        guard has(key) else { return nil }
        guard let number = object[key] as? NSNumber, !isBool(number) else {
            throw .invalidRequest("\(key) must be an integer", param: key)
        }
        guard let value = JSONFields.exactInt(number) else {
            throw .invalidRequest("\(key) = \(number) is not an integer in \(range.lowerBound)…\(range.upperBound)", param: key)
        }
        guard range.contains(value) else {
            throw .invalidRequest("\(key) = \(value) is outside \(range.lowerBound)…\(range.upperBound)", param: key)
        }
        return value
    }

    func double(_ key: String, in range: ClosedRange<Double>) throws(APIError) -> Double? {
        guard has(key) else { return nil }
        guard let number = object[key] as? NSNumber, !isBool(number) else {
            throw .invalidRequest("\(key) must be a number", param: key)
        }
        let value = number.doubleValue
        guard value.isFinite, range.contains(value) else {
            throw .invalidRequest("\(key) = \(number) is outside \(range.lowerBound)…\(range.upperBound)", param: key)
        }
        return value
    }

    func array(_ key: String) throws(APIError) -> [Any]? {
        guard has(key) else { return nil }
        guard let value = object[key] as? [Any] else { throw .invalidRequest("\(key) must be an array", param: key) }
        return value
    }

    /// An NSNumber that is exactly an Int (no fraction, in range).
    static func exactInt(_ number: NSNumber) -> Int? {
        let double = number.doubleValue
        guard double.isFinite, double.rounded() == double, abs(double) < 9.0e15 else { return nil }
        return Int(exactly: double)
    }

    /// JSONSerialization gives true/false as NSNumbers of ObjC type "c" (char); numbers
    /// are "i", "q" or "d". Without this check `1` would pass as true and `true` as 1.
    private func isBool(_ number: NSNumber) -> Bool {
        String(cString: number.objCType) == "c"
    }
}
