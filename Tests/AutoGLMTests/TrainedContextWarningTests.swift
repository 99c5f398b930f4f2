import Testing
@testable import AutoGLM

@Suite struct TrainedContextWarningTests {
    @Test func warnsOnlyPastTheTrainedContext() {
        #expect(TrainedContextWarning.message(context: 2048, trainedContext: 2048) == nil)
        #expect(TrainedContextWarning.message(context: 256, trainedContext: 2048) == nil)
        let m = TrainedContextWarning.message(context: 4096, trainedContext: 2048)
        #expect(m?.hasPrefix("warning: --context 4096 exceeds the model's trained context of 2048") == true)
    }
}
