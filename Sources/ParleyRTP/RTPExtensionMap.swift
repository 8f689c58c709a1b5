/// The header extensions Parley interprets.
public enum RTPExtensionKind: Sendable, Equatable, Hashable, CaseIterable {
    case audioLevel
    case absSendTime
    case transportSequenceNumber

    /// The extmap URI of this kind.
    public var uri: String {
        switch self {
        case .audioLevel: RTPExtensions.AudioLevel.uri
        case .absSendTime: RTPExtensions.AbsSendTime.uri
        case .transportSequenceNumber: RTPExtensions.TransportSequenceNumber.uri
        }
    }

    var slot: Int {
        switch self {
        case .audioLevel: 0
        case .absSendTime: 1
        case .transportSequenceNumber: 2
        }
    }

    /// The kind an extmap URI names, or nil for one Parley does not interpret.
    public init?(uri: String) {
        guard let kind = Self.allCases.first(where: { $0.uri == uri }) else { return nil }
        self = kind
    }
}

/// Which local id (1...255) carries which extension in a session, as negotiated through
/// SDP `a=extmap:<id> <uri>` lines (parsed elsewhere; this takes the pairs). Lookups in
/// both directions are array reads: no allocation on the media path.
public struct RTPExtensionMap: Sendable, Equatable {
    /// Kind by id; index 0 unused.
    private var kindsByID: [RTPExtensionKind?] = Array(repeating: nil, count: 256)
    /// Lowest id per kind, in `RTPExtensionKind.allCases` order; 0 = not negotiated.
    private var lowestIDs: [UInt8] = [0, 0, 0]
    /// URIs Parley does not interpret, by id (kept for diagnostics and re-offering).
    public private(set) var otherURIs: [UInt8: String] = [:]

    /// An empty map.
    public init() {}

    /// From `(id, uri)` pairs. Throws for an id outside 1...255 or one id given two
    /// different URIs. Unknown URIs are kept in `otherURIs` and otherwise ignored.
    public init(_ pairs: [(id: Int, uri: String)]) throws(RTPError) {
        for pair in pairs { try register(id: pair.id, uri: pair.uri) }
    }

    /// Adds one extmap entry (same rules as `init(_:)`).
    public mutating func register(id: Int, uri: String) throws(RTPError) {
        guard id >= 1, id <= 255 else {
            throw .malformed(what: "extmap", reason: "id \(id) for \(uri) is outside 1...255")
        }
        let key = UInt8(id)
        let existing = kindsByID[id]?.uri ?? otherURIs[key]
        if let existing {
            guard existing == uri else {
                throw .malformed(what: "extmap", reason: "id \(id) is mapped to both \(existing) and \(uri)")
            }
            return
        }
        if let kind = RTPExtensionKind(uri: uri) {
            kindsByID[id] = kind
            let slot = kind.slot
            if lowestIDs[slot] == 0 || key < lowestIDs[slot] { lowestIDs[slot] = key }
        } else {
            otherURIs[key] = uri
        }
    }

    /// The kind negotiated for `id`, or nil.
    @inline(__always)
    public func kind(for id: UInt8) -> RTPExtensionKind? { kindsByID[Int(id)] }

    /// The lowest id negotiated for `kind`, or nil when it was not negotiated.
    @inline(__always)
    public func id(for kind: RTPExtensionKind) -> UInt8? {
        let id = lowestIDs[kind.slot]
        return id == 0 ? nil : id
    }

    /// True when every negotiated id fits the one-byte header form (1...14).
    public var fitsOneByteForm: Bool {
        for id in 15...255 where kindsByID[id] != nil || otherURIs[UInt8(id)] != nil { return false }
        return true
    }
}
