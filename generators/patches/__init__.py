"""Inputs for patch models (Chronos-Bolt, Chronos-2): repeated random patches, and Hypothesis strategies over them."""
