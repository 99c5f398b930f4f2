import AutoGLMCore
import Foundation

/// Collects `ActivationStatistics` for every linear-layer input of a model while it runs
/// text (attached to `InferenceState.activationObserver`).
public final class ActivationCalibrator: ActivationObserver {
    /// Per-layer sites in forward order; the output site comes once, after all layers.
    public static let layerSites: [ActivationSite] = [.attentionInput, .attentionOutputInput, .ffnInput, .ffnDownInput]

    public let layerCount: Int
    public private(set) var statistics: [ActivationStatistics]

    public init(layerCount: Int, binCount: Int = AbsoluteValueHistogram.defaultBinCount) {
        self.layerCount = layerCount
        statistics = Array(repeating: ActivationStatistics(binCount: binCount),
                           count: layerCount * Self.layerSites.count + 1)
    }

    public func index(site: ActivationSite, layer: Int) -> Int {
        site == .outputInput ? layerCount * Self.layerSites.count : layer * Self.layerSites.count + site.rawValue
    }

    public func observe(site: ActivationSite, layer: Int, values: UnsafePointer<Float>, stride: Int, width: Int, tokens: Int) {
        statistics[index(site: site, layer: layer)].add(values: values, stride: stride, width: width, tokens: tokens)
    }

    /// The report of everything observed, naming the tensors each site feeds.
    public func report(model: Model, percentile: Double) -> [CalibrationSite] {
        let fused = model.layers.first.map { $0.wGate == nil } ?? true
        let tied = model.output.data == model.tokenEmbedding.data
        var sites: [CalibrationSite] = []
        for l in 0..<layerCount {
            for site in Self.layerSites {
                sites.append(CalibrationSite(site: site.name, layer: l,
                                             tensors: site.tensorNames(layer: l, fusedGateUp: fused, tiedOutput: tied),
                                             statistics: statistics[index(site: site, layer: l)].summary(percentile: percentile)))
            }
        }
        let out = ActivationSite.outputInput
        sites.append(CalibrationSite(site: out.name, layer: -1, tensors: out.tensorNames(layer: -1, fusedGateUp: fused, tiedOutput: tied),
                                     statistics: statistics[index(site: out, layer: -1)].summary(percentile: percentile)))
        return sites
    }
}

/// One site in a calibration file.
public struct CalibrationSite: Codable, Equatable {
    public var site: String
    /// -1 for the output projection's input.
    public var layer: Int
    /// GGUF tensors that multiply this activation; each gets the site's scale.
    public var tensors: [String]
    public var statistics: ActivationSummary
}

/// The file `autoglm calibrate --out STATS` writes (JSON; README "calibrate" documents it).
public struct CalibrationReport: Codable, Equatable {
    public static let formatName = "autoglm-calibration"
    public static let currentVersion = 1

    public var format = CalibrationReport.formatName
    public var version = CalibrationReport.currentVersion
    public var model: String
    public var text: String
    public var context: Int
    public var windows: Int
    public var tokens: Int
    public var percentile: Double
    public var histogramBins: Int
    public var sites: [CalibrationSite]

    enum CodingKeys: String, CodingKey {
        case format, version, model, text, context, windows, tokens, percentile, sites
        case histogramBins = "histogram_bins"
    }

    public init(model: String, text: String, context: Int, windows: Int, tokens: Int, percentile: Double,
                histogramBins: Int, sites: [CalibrationSite]) {
        self.model = model
        self.text = text
        self.context = context
        self.windows = windows
        self.tokens = tokens
        self.percentile = percentile
        self.histogramBins = histogramBins
        self.sites = sites
    }

    public static func load(path: String) throws -> CalibrationReport {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CalibrationError.unsupportedFile("cannot read \(quoted(path))")
        }
        do {
            return try JSONDecoder().decode(CalibrationReport.self, from: data)
        } catch {
            throw CalibrationError.unsupportedFile("\(quoted(path)) is not a calibration file: \(error)")
        }
    }

    /// GGUF metadata entries (autoglm.activation.<tensor>.scale/clip/min/max) for every
    /// tensor of every site. Fails when a tensor is not in `tensorNames` (statistics
    /// from another model) or a file is not this format.
    public func metadataEntries(tensorNames: Set<String>) throws -> [GGUFMetadataEntry] {
        guard format == Self.formatName, version == Self.currentVersion else {
            throw CalibrationError.unsupportedFile("format \(quoted(format)) version \(version); expected \(quoted(Self.formatName)) version \(Self.currentVersion)")
        }
        var entries: [GGUFMetadataEntry] = []
        for site in sites {
            let s = site.statistics
            guard s.activationScale.isFinite, s.activationScale > 0, s.mseClip.isFinite, s.mseClip > 0 else {
                throw CalibrationError.unsupportedFile("site \(site.site) layer \(site.layer): activation_scale \(s.activationScale) is not positive")
            }
            for tensor in site.tensors {
                guard tensorNames.contains(tensor) else {
                    throw CalibrationError.unsupportedFile("tensor \(quoted(tensor)) (site \(site.site), layer \(site.layer)) is not in the model: statistics from another model?")
                }
                let range = StaticActivationRange(scale: Float(s.activationScale), clip: Float(s.mseClip), min: s.min, max: s.max)
                entries += GGUFFile.activationRangeEntries(tensor: tensor, range: range)
            }
        }
        return entries
    }
}

public enum CalibrationError: Error, CustomStringConvertible {
    case unsupportedFile(String)

    public var description: String {
        switch self {
        case .unsupportedFile(let why): return "calibration file: \(why)"
        }
    }
}
