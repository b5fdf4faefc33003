"""The bad-input corpus: cases.yaml, how to build each case, how to run it."""
