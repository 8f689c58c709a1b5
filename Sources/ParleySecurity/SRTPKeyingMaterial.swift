/// SRTP master key + master salt.
public enum SRTPKeyingMaterial {
    /// Fresh random keying material for `suite`: `suite.keyingMaterialLength` bytes, master
    /// key followed by master salt.
    public static func random(for suite: SRTPSuite) throws(SecurityError) -> [UInt8] {
        try SecureRandom.bytes(count: suite.keyingMaterialLength)
    }

    /// Splits keying material into its master key and master salt.
    public static func split(_ material: [UInt8], for suite: SRTPSuite) throws(SecurityError) -> (key: [UInt8], salt: [UInt8]) {
        guard material.count == suite.keyingMaterialLength else {
            throw SecurityError.invalidKeyLength(suite: suite, expected: suite.keyingMaterialLength, actual: material.count)
        }
        return (Array(material[..<suite.masterKeyLength]), Array(material[suite.masterKeyLength...]))
    }
}
