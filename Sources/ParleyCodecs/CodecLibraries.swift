import COpus
import CVPX

/// Versions of the C libraries behind ParleyCodecs.
public enum CodecLibraries {
    /// libopus's version string, e.g. "libopus 1.4".
    public static var opusVersion: String {
        String(cString: opus_get_version_string())
    }

    /// libvpx's version string, e.g. "v1.13.1".
    public static var vpxVersion: String {
        String(cString: vpx_codec_version_str())
    }
}
