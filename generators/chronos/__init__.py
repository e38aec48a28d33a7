"""Chronos inputs: repeated random tokens (RRT) and multisine series, and Hypothesis strategies over them."""
