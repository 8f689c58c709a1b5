/// Errors of the command line itself.
enum CLIError: Error, CustomStringConvertible {
    case fixturesNotFound(searched: [String])
    case invalidValue(option: String, value: String, expected: String)
    case failed(String)

    var description: String {
        switch self {
        case .fixturesNotFound(let searched):
            return "the bundled fixtures were not found (looked in \(searched.joined(separator: ", "))); "
                + "set PARLEY_FIXTURES to the repository's Fixtures folder or give --audio/--video"
        case .invalidValue(let option, let value, let expected):
            return "\(option) '\(value)' is not valid: \(expected)"
        case .failed(let message):
            return message
        }
    }
}
