import Foundation

/// A JSON file of a model folder as a dictionary, with typed errors naming the file.
enum HFJSON {
    /// config.json and tokenizer_config.json are small; tokenizer.json of a 150k vocab is ~10 MB.
    static let maxBytes = 256 << 20

    static func object(at url: URL, required: Bool = true) throws -> [String: Any]? {
        guard FileManager.default.fileExists(atPath: url.path) else {
            if required { throw HFError.missingFile(path: url.path) }
            return nil
        }
        let attributes = try? FileManager.default.attributesOfItem(atPath: url.path)
        let size = (attributes?[.size] as? NSNumber)?.intValue ?? 0
        guard size <= maxBytes else {
            throw HFError.unreadableFile(path: url.path, reason: "\(size) bytes, over the \(maxBytes)-byte limit")
        }
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw HFError.unreadableFile(path: url.path, reason: error.localizedDescription)
        }
        let json: Any
        do { json = try JSONSerialization.jsonObject(with: data) } catch {
            throw HFError.invalidJSON(path: url.path, reason: error.localizedDescription)
        }
        guard let object = json as? [String: Any] else { throw HFError.invalidJSON(path: url.path, reason: "not an object") }
        return object
    }
}
