/// The release of Open-AutoGLM, in one place: `autoglm --version`, `autoglmd --version`,
/// the daemon's /v1/models objects and its `autoglm_build_info` metric all read it.
public enum AutoGLMVersion {
    public static let current = "0.1.0"
}
