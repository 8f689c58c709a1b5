import ParleyCLI

ParleyCommand.main()
