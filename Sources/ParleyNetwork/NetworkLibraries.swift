import CNice

/// Versions of the C libraries behind ParleyNetwork.
public enum NetworkLibraries {
    /// libnice's version (from its headers) after a live call into the library:
    /// parsing an address proves the library is linked and loads.
    public static var niceVersion: String {
        var address = NiceAddress()
        nice_address_init(&address)
        let parsed = nice_address_set_from_string(&address, "127.0.0.1") != 0
        let version = "\(parley_nice_version_major()).\(parley_nice_version_minor()).\(parley_nice_version_micro())"
        return parsed ? version : version + " (address parsing failed)"
    }
}
