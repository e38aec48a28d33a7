"""What the terminal shows of a claims run: the matrix is the summary. Inconclusive verdicts are counted apart from
skips, a claim that did not hold is shown by its cell (its own lines come back with -v), and under the matrix stand
why the inconclusive cells are inconclusive, the comparison with a baseline and where the report is."""

from __future__ import annotations

import pytest

from harness.plugin.recorder import ClaimNotHeld, Recorder

COLOURS = {"passed": {"green": True}, "failed": {"red": True}, "error": {"red": True, "bold": True}, "inconclusive": {"yellow": True}}


class FailuresBehindVerbose:
    """At default verbosity a claim that did not hold is left out of pytest's failure sections and FAILED lines, so
    the output grows with the matrix, not with the failures. (Under xdist the controller holds the failure as text,
    hence the prefix test.)"""

    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_terminal_summary(self, terminalreporter, config):
        failed = terminalreporter.stats.get("failed", [])
        if config.get_verbosity() < 1 and failed:
            terminalreporter.stats["failed"] = [report for report in failed if not str(report.longrepr).startswith(ClaimNotHeld.prefix + ": ")]
        try:
            return (yield)
        finally:
            if failed:
                terminalreporter.stats["failed"] = failed


class Summary:
    def __init__(self, recorder: Recorder):
        self.recorder = recorder

    @pytest.hookimpl(tryfirst=True)
    def pytest_report_teststatus(self, report, config):
        """An inconclusive claim is counted as inconclusive, not skipped, on the terminal as in the report."""
        if report.when == "call" and report.skipped and isinstance(report.longrepr, tuple) and \
                str(report.longrepr[2]).startswith("Skipped: inconclusive: "):
            return "inconclusive", "i", ("INCONCLUSIVE", {"yellow": True})
        return None

    def pytest_terminal_summary(self, terminalreporter) -> None:
        from harness.report.matrix import TERMINAL_TITLE, inconclusive_lines, text_rows

        if self.recorder.records:
            terminalreporter.ensure_newline()
            terminalreporter.section(TERMINAL_TITLE)
            for row in text_rows(self.recorder.records):
                for text, outcome in row:
                    terminalreporter.write(text, **COLOURS.get(outcome, {}))
                terminalreporter.write_line("")
            for line in inconclusive_lines(self.recorder.records, verbose=terminalreporter.config.get_verbosity() > 0):
                terminalreporter.write_line(line)
        if self.recorder.comparison is not None:
            from harness.report.compare import gate, render

            terminalreporter.section(f"compared with {self.recorder.options.baseline[0]}")
            for line in render(self.recorder.comparison):
                terminalreporter.write_line(line)
            failure = gate(self.recorder.comparison) if self.recorder.options.fail_on_regression else None
            if failure:
                terminalreporter.write_line(f"--fail-on-regression: {failure}", red=True)
        if self.recorder.run_dir is not None:
            terminalreporter.write_line(f"claims report: {self.recorder.run_dir / 'report.json'} (and report.md, report.html; reports/latest points at it)")
        elif self.recorder.claims_collected and not self.recorder.records and not self.recorder.options.is_worker:
            terminalreporter.write_line("no claim was selected, so no report was written (reports/latest is unchanged); "
                                        "select claims with --claim ID or -k ID")
