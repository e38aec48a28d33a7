"""pytest plugin (filled in with the claims report)."""
