"""Test harness for interpretability claims about Chronos-T5 models."""

__version__ = "0.1.0"
