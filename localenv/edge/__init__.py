"""The service edge: the stack's one AWS endpoint, in front of the emulator."""
