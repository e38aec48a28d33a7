# The claims plugin itself is registered through the pytest11 entry point (harness.plugin).
collect_ignore = ["reports", ".ci-cache", "build"]
