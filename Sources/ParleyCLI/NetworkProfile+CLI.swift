import Foundation
import ParleyConference

extension NetworkProfile {
    /// A `--network` value as the commands take it: a preset, parameters, or `trace:FILE`
    /// read from disk (an unreadable trace is a `ConferenceError` naming the file).
    static func fromCommandLine(_ text: String) throws -> NetworkProfile {
        try NetworkProfile(parsing: text) { path in
            do {
                return try String(contentsOfFile: path, encoding: .utf8)
            } catch {
                throw ConferenceError.unreadableTrace(path: path, reason: (error as NSError).localizedDescription)
            }
        }
    }
}
