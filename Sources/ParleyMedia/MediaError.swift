import ParleyCore

/// Everything that can go wrong reading or writing media files in ParleyMedia.
///
/// Each message names the file, says what is wrong with it, and says what to do.
public enum MediaError: Error, Equatable, CustomStringConvertible {
    /// No file at `path`.
    case fileNotFound(path: String)
    /// The file exists but could not be opened or read.
    case cannotOpen(path: String, reason: String)
    /// The file could not be created or written.
    case cannotWrite(path: String, reason: String)
    /// The file has no RIFF/WAVE header.
    case notWAV(path: String)
    /// A WAV file whose encoding or parameters ParleyMedia does not handle.
    case unsupportedWAV(path: String, reason: String)
    /// The file ends before its headers say it should.
    case truncated(path: String, reason: String)
    /// The file is empty (zero bytes).
    case emptyFile(path: String)
    /// The file has no YUV4MPEG2 header.
    case notY4M(path: String)
    /// A Y4M file whose header ParleyMedia does not handle.
    case unsupportedY4M(path: String, reason: String)
    /// The file has no IVF ("DKIF") header.
    case notIVF(path: String)
    /// An IVF file carrying a codec other than VP8/VP9.
    case unsupportedIVFCodec(path: String, fourcc: String)
    /// A video frame whose size does not match the file's picture size.
    case frameSizeMismatch(path: String, expected: String, got: String)
    /// The file's structure is damaged (e.g. a frame marker or size that makes no sense).
    case corrupt(path: String, reason: String)
    /// A caller passed a value outside the accepted range.
    case invalidParameter(String)
    /// An `alsa:NAME` device string that cannot name an ALSA PCM.
    case invalidALSADeviceName(name: String, reason: String)
    /// ALSA knows no PCM by that name (or its card is absent).
    case alsaDeviceNotFound(device: String, detail: String)
    /// The PCM exists but another program holds it.
    case alsaDeviceBusy(device: String)
    /// The PCM exists but this user may not open it.
    case alsaPermissionDenied(device: String)
    /// The device cannot do what Parley asked: a sample format, a channel count, a rate,
    /// interleaved access. `what` names the parameter, `offered` what the device offers.
    case alsaUnsupported(device: String, what: String, requested: String, offered: String)
    /// An extra ALSA configuration file (asoundrc) could not be read or parsed.
    case alsaConfiguration(path: String, detail: String)
    /// Any other ALSA call failed.
    case alsaFailed(device: String, call: String, detail: String)
    /// An audio-processing setting (`AudioProcessing`) outside its accepted range.
    case invalidAudioProcessing(setting: String, value: String, accepted: String)
    /// An audio frame handed to the echo canceller or preprocessor has the wrong length.
    case audioFrameSizeMismatch(buffer: String, expected: Int, got: Int, sampleRate: Int)
    /// An audio frame holds a NaN or infinite sample.
    case nonFiniteSample(buffer: String, index: Int)

    public var description: String {
        switch self {
        case .fileNotFound(let path):
            return "\(path): no such file; check the path and that the file exists"
        case .cannotOpen(let path, let reason):
            return "\(path): cannot open for reading (\(reason)); check the path and its permissions"
        case .cannotWrite(let path, let reason):
            return "\(path): cannot write (\(reason)); check that the directory exists, is writable and the disk has room"
        case .notWAV(let path):
            return "\(path): not a WAV file (no RIFF/WAVE header); give a PCM 16/24-bit or float32 WAV"
        case .unsupportedWAV(let path, let reason):
            return "\(path): unsupported WAV (\(reason)); convert it to PCM 16-bit with: sox in.wav -b 16 -e signed-integer out.wav"
        case .truncated(let path, let reason):
            return "\(path): file is truncated (\(reason)); the file was cut short, re-create or re-download it"
        case .emptyFile(let path):
            return "\(path): file is empty (0 bytes); give a file with content"
        case .notY4M(let path):
            return "\(path): not a Y4M file (no YUV4MPEG2 header); convert with: ffmpeg -i in.mp4 -pix_fmt yuv420p out.y4m"
        case .unsupportedY4M(let path, let reason):
            return "\(path): unsupported Y4M (\(reason))"
        case .notIVF(let path):
            return "\(path): not an IVF file (no DKIF header); give a VP8/VP9 IVF, e.g. made with: ffmpeg -i in.mp4 -c:v libvpx out.ivf"
        case .unsupportedIVFCodec(let path, let fourcc):
            let supported = VideoCodecKind.allCases.map(\.fourcc).joined(separator: ", ")
            return "\(path): IVF codec fourcc \"\(fourcc)\" is not supported (supported: \(supported)); re-encode with: ffmpeg -i in.ivf -c:v libvpx out.ivf"
        case .frameSizeMismatch(let path, let expected, let got):
            return "\(path): frame size \(got) does not match the file's \(expected); scale frames to \(expected) before writing"
        case .corrupt(let path, let reason):
            return "\(path): file is damaged (\(reason)); re-create the file"
        case .invalidParameter(let message):
            return "invalid parameter: \(message)"
        case .invalidALSADeviceName(let name, let reason):
            return "\"\(name)\" is not an ALSA device (\(reason)); write alsa:NAME, e.g. alsa:default, alsa:hw:1,0, alsa:plughw:CARD=PCH,DEV=0 (names are listed by `aplay -L` and `arecord -L`)"
        case .alsaDeviceNotFound(let device, let detail):
            return "no ALSA device '\(device)': \(detail); check `aplay -L` (playback) or `arecord -L` (capture) for the names on this machine, and `aplay -l` for the cards"
        case .alsaDeviceBusy(let device):
            return "ALSA device '\(device)' is busy: another program is using it; close that program (see `fuser -v /dev/snd/*`), or use a shared device such as alsa:default or alsa:dmix"
        case .alsaPermissionDenied(let device):
            return "ALSA device '\(device)': permission denied; add your user to the 'audio' group (sudo usermod -aG audio $USER, then log in again)"
        case .alsaUnsupported(let device, let what, let requested, let offered):
            return "ALSA device '\(device)' does not support \(what) \(requested) (it offers \(offered)); choose a supported value, or use the plughw: form of the device (alsa:plughw:…) so ALSA converts"
        case .alsaConfiguration(let path, let detail):
            return "\(path): cannot use this ALSA configuration (\(detail)); check its syntax against the asoundrc documentation (https://www.alsa-project.org/wiki/Asoundrc)"
        case .alsaFailed(let device, let call, let detail):
            return "ALSA device '\(device)': \(call) failed (\(detail)); check the device with `aplay -D \(device) -v /dev/zero` or `arecord -D \(device) -v -d 1 /dev/null`"
        case .invalidAudioProcessing(let setting, let value, let accepted):
            return "audio processing: \(setting) \(value) is not accepted (\(accepted)); fix the setting or start from AudioProcessing.device / .file"
        case .audioFrameSizeMismatch(let buffer, let expected, let got, let sampleRate):
            let tenths = expected * 10_000 / max(sampleRate, 1)
            let ms = tenths % 10 == 0 ? "\(tenths / 10)" : "\(tenths / 10).\(tenths % 10)"
            return "audio processing: the \(buffer) frame has \(got) samples but the processor was set up for \(expected)-sample frames (\(ms) ms at \(sampleRate) Hz); pass exactly one mono frame of that size per call, re-chunking the stream if needed"
        case .nonFiniteSample(let buffer, let index):
            return "audio processing: sample \(index) of the \(buffer) frame is NaN or infinite; the stage that produced it (decoder, mixer, file) is faulty; clean or drop the frame before processing"
        }
    }
}
