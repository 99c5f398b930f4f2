import Testing
@testable import AutoGLMCore

@Suite struct IOErrorMessageTests {
    @Test func errnoIsShownAsTheCLibraryText() {
        #expect(CoreError.io(.openFailed(path: "/m.gguf", errno: 2)).message
                == "cannot open '/m.gguf': No such file or directory (errno 2)")
        #expect(CoreError.io(.writeFailed(path: "/c/x.ckpt", errno: 28)).message.contains("No space left on device"))
        #expect(CoreError.io(.createFailed(path: "/ro/x", errno: 30)).message.contains("Read-only file system"))
    }

    @Test func aMissingFileSaysSo() {
        #expect(throws: CoreError.io(.openFailed(path: "/nonexistent/model.gguf", errno: 2))) {
            try MappedFile(path: "/nonexistent/model.gguf")
        }
        do {
            _ = try GGUFFile(path: "/nonexistent/model.gguf")
        } catch {
            #expect(error.message.contains("No such file or directory"))
        }
    }

    @Test func unknownErrnoStillGivesText() {
        #expect(!errnoText(99_999).hasPrefix(" ("))
        #expect(errnoText(99_999).hasSuffix("(errno 99999)"))
    }
}
