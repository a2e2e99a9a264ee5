import Foundation
import Mustache

/// Renders the HTML pages from the Mustache templates shipped as the
/// module's resources (`Sources/Web/Templates`).
public struct PageRenderer: Sendable {
    /// Why the templates could not be loaded: a packaging problem, reported at start-up.
    public struct LoadError: Error, CustomStringConvertible, Sendable {
        public var description: String
    }

    let library: MustacheLibrary

    /// Loads every `.mustache` file from `directory`, or from the module's
    /// bundled `Templates` folder when nil.
    public init(directory: URL? = nil) throws(LoadError) {
        ScalarHTMLEscaping.register()
        let folder: URL
        if let directory {
            folder = directory
        } else {
            guard let resources = Bundle.module.resourceURL else {
                throw LoadError(description: "the Web module's resource bundle has no resource folder")
            }
            folder = resources.appendingPathComponent("Templates")
        }
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: folder.path)
        } catch {
            throw LoadError(description: "cannot read the page templates in \(folder.path): \(error.localizedDescription)")
        }
        var library = MustacheLibrary()
        for name in names.sorted() where name.hasSuffix(".mustache") {
            let file = folder.appendingPathComponent(name)
            do {
                let text = try String(contentsOf: file, encoding: .utf8)
                try library.register(text, named: String(name.dropLast(".mustache".count)))
            } catch {
                throw LoadError(description: "page template \(file.path) is not usable: \(error)")
            }
        }
        for required in ["checker", "guides", "message", "_head", "_foot", "_settings"]
        where library.getTemplate(named: required) == nil {
            throw LoadError(description: "page template \(required).mustache is missing from \(folder.path)")
        }
        self.library = library
    }

    /// Renders `template` with `context`. The template names are ours and
    /// checked at load time, so a missing one is an empty page, not a crash.
    func render(_ template: String, _ context: [String: Any]) -> String {
        library.render(context, withTemplate: template) ?? ""
    }
}
