"""Local emulation harness for the pipeline."""
