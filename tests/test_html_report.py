"""report.html: self-contained, drawn from report.json, and rendering cleanly in headless Chromium."""

import html
import json
import re
import shutil
import subprocess

import pytest

from claims_run import run_claims
from harness.report.html import render_html

KINDS = {"heatmaps", "points", "lines", "table"}  # what these claims declare (bars come from the cross-model claims)
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--virtual-time-budget=15000"]


@pytest.fixture(scope="module")
def default_run(tmp_path_factory):
    """Planted models through the claims that declare figures (mosaic, positions, grid, spectra, LM patterns, patching)."""
    root = tmp_path_factory.mktemp("html")
    result, report = run_claims(root, "--model", "planted:reference", "--model", "planted:lm-reference",
                                "-k", "rrt_induction and not across or longer_sequences or smallest_gap or lm_induction and (L1 or exists or triplet)")
    assert report is not None, result.stdout + result.stderr
    return report, (root / "reports" / "latest").resolve()


def declared(report) -> list[dict]:
    """Each distinct figure the records declare, in registry order (report.html shows a repeated one once)."""
    unique = {}
    for record in sorted(report["claims"], key=lambda r: (r["registry"], r["position"])):
        for figure in record["figures"]:
            unique.setdefault(json.dumps([figure["kind"], figure["title"], figure["data"]], sort_keys=True), (record, figure))
    return list(unique.values())


@pytest.mark.e2e
def test_report_html_is_written_and_self_contained(default_run):
    report, run_dir = default_run
    page = (run_dir / "report.html").read_text()
    assert not re.search(r"<script[^>]+src=", page), "report.html must not load scripts from elsewhere"
    assert not re.search(r"<link[^>]+href=\"?https?:", page)
    figures = declared(report)
    assert {figure["kind"] for _, figure in figures} == KINDS
    for index, (record, figure) in enumerate(figures):
        block = page.split(f'data-figure="figure-{index}"', 1)[1].split('data-figure="', 1)[0]
        assert html.escape(figure["title"]) in block and record["claim_id"] in block, figure["title"]
    for record in report["claims"]:
        assert record["claim_id"] in page


@pytest.mark.e2e
def test_report_html_is_rendered_from_the_json_alone(default_run):
    report, run_dir = default_run
    assert render_html(json.loads((run_dir / "report.json").read_text())).count("data-figure=") == len(declared(report))


@pytest.mark.e2e
def test_the_positions_axis_says_what_the_metric_is(default_run):
    report, _ = default_run
    [positions] = [figure for _, figure in declared(report) if figure["kind"] == "points"]
    assert positions["data"]["x_title"] == "relative decoder layer, (layer + 1) / layers"


def test_a_report_without_figures_still_renders():
    report = {"status": "incomplete", "started_at": "t", "finished_at": None, "models": {}, "claims": [], "summary": {"passed": 0},
              "comparison": None, "run": {k: "-" for k in ("harness", "torch", "transformers", "device", "hypothesis_profile", "git_commit")}
              | {"dtype": "float32"}}
    page = render_html(report)
    assert "data-figure=" not in page and "Status <b>incomplete</b>" in page


def chromium():
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.e2e
@pytest.mark.skipif(chromium() is None, reason="headless Chromium not installed (Debian: apt-get install chromium); .ci/run installs it")
def test_report_html_renders_in_headless_chromium(default_run):
    report, run_dir = default_run
    url = (run_dir / "report.html").as_uri()
    dom = subprocess.run([chromium(), *CHROMIUM_FLAGS, "--dump-dom", url], capture_output=True, text=True, timeout=120)
    assert dom.returncode == 0, dom.stderr[-2000:]
    errors = re.search(r'data-console-errors="([^"]*)"', dom.stdout)
    assert errors is not None, "the error probe did not run: scripts are not executing"
    assert json.loads(errors.group(1).replace("&quot;", '"')) == []
    for index, (_, figure) in enumerate(declared(report)):
        block = dom.stdout.split(f'data-figure="figure-{index}"', 1)[1].split('data-figure="', 1)[0]
        assert ('class="main-svg"' if figure["kind"] != "table" else "<td>") in block, f"figure {figure['title']} did not render"
    assert dom.stdout.count("data-cell=") == len(report["claims"])  # the matrix: one cell per claim and model
    text = re.sub(r"<[^>]+>", " ", re.sub(r"<(script|style)\b.*?</\1>", " ", dom.stdout, flags=re.S))
    assert not re.search(r"\b(None|nan|NaN)\b", text), "a number that could not be computed reads n/a"
    assert not re.search(r"\d\.\d{7,}", text), "numbers are printed to a few significant digits"
    screenshot = run_dir / "report.png"
    shot = subprocess.run([chromium(), *CHROMIUM_FLAGS, "--hide-scrollbars", "--window-size=1300,2400", f"--screenshot={screenshot}", url],
                          capture_output=True, text=True, timeout=120)
    assert shot.returncode == 0 and screenshot.stat().st_size > 20_000, shot.stderr[-2000:]
    print(f"screenshot: {screenshot}")
