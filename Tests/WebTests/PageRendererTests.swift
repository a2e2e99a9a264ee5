import Foundation
import Testing
@testable import Web

@Suite struct PageRendererTests {
    @Test func bundledTemplatesLoad() throws {
        _ = try PageRenderer()
    }

    @Test func aMissingTemplateFolderIsAnErrorNotACrash() {
        #expect(throws: PageRenderer.LoadError.self) {
            try PageRenderer(directory: URL(fileURLWithPath: "/nonexistent/templates"))
        }
    }

    @Test func everyTemplateUsesTheScalarEscaper() throws {
        // Mustache resets the content type for each partial, so every file must select it.
        let folder = try #require(Bundle.module.resourceURL?.appendingPathComponent("Templates"))
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".mustache") }
        #expect(!names.isEmpty)
        for name in names {
            let text = try String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8)
            #expect(text.hasPrefix("{{% CONTENT_TYPE: \(ScalarHTMLEscaping.name)}}"), "\(name)")
            #expect(!text.contains("{{{"), "\(name) renders unescaped")
            #expect(!text.contains("{{&"), "\(name) renders unescaped")
        }
    }
}
