import ArgumentParser
import Config
import Foundation

/// `--data-dir DIR` or `--config FILE`, shared by every command that reads state.
struct DataLocation: ParsableArguments {
    @Option(name: .customLong("data-dir"), help: "The data directory (default: ./portcullis-data).")
    var dataDirectory: String?

    @Option(name: .customLong("config"), help: "A portcullis.toml; its directory is the data directory.")
    var configFile: String?

    static let defaultDirectory = "portcullis-data"
    static let configName = "portcullis.toml"

    /// The data directory, absolute.
    var directory: String {
        let path: String
        if let dataDirectory { path = dataDirectory }
        else if let configFile { path = (configFile as NSString).deletingLastPathComponent }
        else { path = Self.defaultDirectory }
        let absolute = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + (path.isEmpty ? "." : path)
        return (absolute as NSString).standardizingPath
    }

    var file: String {
        if let configFile {
            return configFile.hasPrefix("/") ? configFile : FileManager.default.currentDirectoryPath + "/" + configFile
        }
        return directory + "/" + Self.configName
    }

    func validate() throws {
        if dataDirectory != nil && configFile != nil {
            throw ValidationError("give either --data-dir or --config, not both")
        }
    }

    /// Loads the configuration, or explains how to create one.
    func load() throws -> Configuration {
        guard FileManager.default.fileExists(atPath: file) else {
            throw CLIError("no configuration at \(file); create one with `portcullis init --data-dir \(directory)`")
        }
        do {
            return try Configuration.load(file: file, dataDirectory: directory)
        } catch {
            throw CLIError(error.description)
        }
    }
}

/// A one-line error for the operator; ArgumentParser prints it and exits non-zero.
struct CLIError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
