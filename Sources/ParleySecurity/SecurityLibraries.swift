import CQREncode
import CSRTP
import CSodium

/// Versions of the C libraries behind ParleySecurity, read from the libraries at run time.
public enum SecurityLibraries {
    /// libsodium's version string (after `sodium_init`).
    public static var sodiumVersion: String {
        _ = sodium_init()
        return String(cString: sodium_version_string())
    }

    /// libsrtp2's version string.
    public static var srtpVersion: String {
        String(cString: srtp_get_version_string())
    }

    /// libqrencode's version string.
    public static var qrencodeVersion: String {
        String(cString: QRcode_APIVersionString())
    }
}
