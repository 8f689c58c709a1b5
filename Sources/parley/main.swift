import ParleyCLI

ParleyCommand.runAndExit()
