import CALSA
import CSpeexDSP

/// Versions of the C libraries behind ParleyMedia.
public enum MediaLibraries {
    /// ALSA's library version string.
    public static var alsaVersion: String {
        String(cString: snd_asoundlib_version())
    }

    /// speexdsp has no version call; a resampler created and destroyed proves it links.
    public static var speexdspAvailable: Bool {
        var err: Int32 = 0
        guard let state = speex_resampler_init(1, 48000, 16000, 3, &err) else { return false }
        speex_resampler_destroy(state)
        return err == 0
    }
}
