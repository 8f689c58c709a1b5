@testable import ParleyMedia
import Testing

@Suite struct ALSADeviceNameTests {
    @Test(arguments: ["default", "null", "hw:1,0", "hw:0", "hw:1,0,0", "plughw:CARD=PCH,DEV=0", "plughw:PCH,1", "hw",
                      "dmix:CARD=Loopback,DEV=1", "sysdefault:CARD=Intel", "front:CARD=PCH,DEV=0", "pipewire"])
    func validNamesKeepTheALSAName(_ name: String) throws {
        let device = try ALSADeviceName(parsing: "alsa:" + name)
        #expect(device.pcmName == name)
        #expect(device.description == "alsa:" + name)
        #expect(ALSADeviceName.isALSA(device.description))
    }

    @Test(arguments: [
        ("default", "does not start with \"alsa:\""),
        ("alsa:", "empty"),
        ("alsa:hw:", "needs a card and device"),
        ("alsa:hw:1,", "needs a card and device"),
        ("alsa:hw:1,x", "must be numbers"),
        ("alsa:hw:1,0,0,0", "at most"),
        ("alsa:plughw:CARD=PCH,FOO=1", "unknown argument \"FOO\""),
        ("alsa:plughw:CARD=", "has no value"),
        ("alsa:my device", "blank or control"),
        ("alsa::0", "starts with"),
    ])
    func invalidNamesSayWhatIsWrong(_ text: String, _ fragment: String) throws {
        let error = MediaTestHelpers.mediaError { _ = try ALSADeviceName(parsing: text) }
        guard case .invalidALSADeviceName(let name, let reason)? = error else {
            Issue.record("expected invalidALSADeviceName for \(text), got \(String(describing: error))")
            return
        }
        #expect(name == text)
        #expect(reason.contains(fragment), "\(reason)")
        #expect(error!.description.contains("aplay -L"))
    }
}
