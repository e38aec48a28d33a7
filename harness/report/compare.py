"""Compare two claims reports: models paired by label, verdicts that changed, and deciding statistics whose change
between the runs is significant (the interval of their difference excludes 0).

A comparison is a plain dict (it is stored in report.json under "comparison"):

    {"models": [{"label", "baseline_fingerprint", "fingerprint", "weights": "equal" | "differ" | "unknown"}],
     "unpaired": {"baseline": [label], "new": [label]},
     "compared": n,                          # records of one claim on one model found in both runs
     "verdict_changes": [{"claim_id", "model", "old", "new", "new_reason"}],
     "regressions": [...],                   # the verdict changes from passed to failed
     "moved": [{"claim_id", "model", "statistic", "old", "old_ci", "new", "new_ci", "difference", "difference_ci"}],
     "steady": n,                            # deciding statistics tested whose difference interval holds 0
     "untested": [{"claim_id", "model", "statistic", "why"}],   # no interval in both runs, or another statistic
     "not_compared": [{"claim_id", "model", "why"}]}
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from harness.errors import HarnessError
from harness.report import schema

REGRESSION = ("passed", "failed")
ACROSS = "all models"


def _key(record: dict) -> tuple[str, str]:
    return record["claim_id"], record["model"] or ACROSS


def _decisive(record: dict) -> dict | None:
    decisive = record["statistics"].get("decisive")
    return decisive if decisive and isinstance(decisive.get("value"), (int, float)) else None


def _weights(old: dict, new: dict) -> str:
    if not old.get("fingerprint") or not new.get("fingerprint"):
        return "unknown"
    return "equal" if old["fingerprint"] == new["fingerprint"] else "differ"


def _family_labels(report: dict, record: dict) -> set[str]:
    """The models of a record's family in its run: what a claim that compares models compared."""
    return {label for label, model in report["models"].items() if model["family"] == record["family"]}


def _why_not_compared(model: str, side: str, unpaired: dict[str, list[str]]) -> str:
    if model in unpaired[side]:
        return f"model only in the {side} run" if side == "new" else "model only in the baseline"
    return "claim only in the new run" if side == "new" else "claim only in the baseline"


def _statistic_change(key: tuple[str, str], before: dict, after: dict) -> tuple[str, dict]:
    """("moved" | "steady" | "untested", entry) for one record's deciding statistic."""
    from harness.stats import difference_interval  # numpy and scipy: not needed to start a run with --baseline

    old, new = _decisive(before), _decisive(after)
    entry = {"claim_id": key[0], "model": key[1], "statistic": (new or old or {}).get("statistic")}
    if not old and not new:
        return "untested", {**entry, "why": "no deciding number in either run (skipped, or inconclusive at a floor)"}
    if not old or not new:
        return "untested", {**entry, "why": "a deciding number in one run only"}
    if old["statistic"] != new["statistic"]:
        return "untested", {**entry, "why": "another statistic decides"}
    if not old.get("ci") or not new.get("ci"):
        return "untested", {**entry, "why": "no interval in both runs"}
    low, high = difference_interval(old["value"], old["ci"], new["value"], new["ci"])
    entry.update(old=old["value"], old_ci=old["ci"], new=new["value"], new_ci=new["ci"], difference=new["value"] - old["value"],
                 difference_ci=[low, high])
    return ("moved" if low > 0 or high < 0 else "steady"), entry


def compare(old: dict, new: dict) -> dict:
    """Pair the two runs' models by label and their records by (claim, model); see the module docstring."""
    paired = [label for label in new["models"] if label in old["models"]]
    unpaired = {"baseline": [label for label in old["models"] if label not in new["models"]],
                "new": [label for label in new["models"] if label not in old["models"]]}
    old_records, new_records = {_key(r): r for r in old["claims"]}, {_key(r): r for r in new["claims"]}
    result = {
        "models": [{"label": label, "baseline_fingerprint": old["models"][label].get("fingerprint"),
                    "fingerprint": new["models"][label].get("fingerprint"), "weights": _weights(old["models"][label], new["models"][label])}
                   for label in paired],
        "unpaired": unpaired, "compared": 0, "verdict_changes": [], "moved": [], "steady": 0, "untested": [],
        "not_compared": sorted([{"claim_id": c, "model": m, "why": _why_not_compared(m, "baseline", unpaired)}
                                for c, m in old_records.keys() - new_records.keys()] +
                               [{"claim_id": c, "model": m, "why": _why_not_compared(m, "new", unpaired)}
                                for c, m in new_records.keys() - old_records.keys()], key=lambda r: (r["claim_id"], r["model"])),
    }
    for key in sorted(old_records.keys() & new_records.keys()):
        before, after = old_records[key], new_records[key]
        if key[1] not in old["models"] and key[1] not in new["models"] and _family_labels(old, before) != _family_labels(new, after):
            result["not_compared"].append({"claim_id": key[0], "model": key[1], "why": "compares other models in each run"})
            continue
        result["compared"] += 1
        if before["outcome"] != after["outcome"]:
            result["verdict_changes"].append({"claim_id": key[0], "model": key[1], "old": before["outcome"], "new": after["outcome"],
                                              "new_reason": after["reason"]})
        change, entry = _statistic_change(key, before, after)
        if change == "steady":
            result["steady"] += 1
        else:
            result[change].append(entry)
    result["regressions"] = [change for change in result["verdict_changes"] if (change["old"], change["new"]) == REGRESSION]
    return result


def gate(comparison: dict) -> str | None:
    """Why --fail-on-regression fails this comparison (None when it passes): a verdict that went from passed to
    failed, or a comparison that compared nothing and so cannot vouch for anything."""
    if comparison["compared"] == 0:
        models = ", ".join(comparison["unpaired"]["baseline"]) or "none"
        return (f"nothing was compared: no model label is in both runs (baseline: {models}; this run: "
                f"{', '.join(comparison['unpaired']['new']) or 'none'}); give a model the same label in both with --model NAME=MODEL")
    if comparison["regressions"]:
        return f"{len(comparison['regressions'])} claim(s) went from passed to failed: " + ", ".join(
            f"{c['claim_id']} on {c['model']}" for c in comparison["regressions"])
    return None


def load_report(path: str | Path) -> dict:
    """A report.json, or a run directory holding one; one-line errors for anything else."""
    path = Path(path)
    if path.is_dir():
        path = path / "report.json"
    if not path.is_file():
        raise HarnessError(f"no report at '{path}'; pass a report.json or a run directory under reports/")
    try:
        return schema.load(path)
    except ValueError as error:  # JSON errors are ValueErrors too
        raise HarnessError(f"cannot read '{path}' as a claims report: {str(error).splitlines()[0]}; pass a report.json written by this harness") from None


def _ci(ci) -> str:
    return f" [{ci[0]:.3g}, {ci[1]:.3g}]" if ci else ""


def _counted(items: list[dict], what: str) -> str:
    return ", ".join(f"{why} ({count})" for why, count in Counter(item[what] for item in items).items())


def _models_line(comparison: dict) -> str:
    weights = Counter(pair["weights"] for pair in comparison["models"])
    said = {"equal": "the same config and weights (nothing to re-check)", "differ": "different weights (an update)",
            "unknown": "no fingerprint in one run"}
    return f"models paired by label: {len(comparison['models'])}" + "".join(
        f"; {count} with {said[kind]}: " + ", ".join(p["label"] for p in comparison["models"] if p["weights"] == kind)
        for kind, count in weights.items())


def render(comparison: dict) -> list[str]:
    """The comparison as text lines: what was compared first, then what changed."""
    changed, moved = comparison["verdict_changes"], comparison["moved"]
    lines = [f"compared {comparison['compared']} records (one claim on one model, in both runs): {len(changed)} verdict(s) changed, "
             f"{len(comparison['regressions'])} from passed to failed; {len(moved)} deciding statistic(s) moved, {comparison['steady']} "
             f"did not, {len(comparison['untested'])} untested",
             _models_line(comparison)]
    for side in ("baseline", "new"):
        if comparison["unpaired"][side]:
            lines.append(f"unpaired models, only in the {'baseline' if side == 'baseline' else 'new run'}: " + ", ".join(comparison["unpaired"][side]))
    if comparison["not_compared"]:
        lines.append(f"not compared: {len(comparison['not_compared'])} records: {_counted(comparison['not_compared'], 'why')}")
    if changed:
        lines.append("verdicts changed:")
        lines += [f"  {c['claim_id']} on {c['model']}: {c['old']} -> {c['new']}" + ("  (regression)" if (c["old"], c["new"]) == REGRESSION else "")
                  for c in changed]
    if moved:
        lines.append("statistics moved (the interval of new - old, from both runs' intervals, excludes 0):")
        lines += [f"  {m['claim_id']} on {m['model']}: {m['statistic']} {m['old']:.3g}{_ci(m['old_ci'])} -> {m['new']:.3g}{_ci(m['new_ci'])}, "
                  f"difference {m['difference']:+.3g}{_ci(m['difference_ci'])}" for m in moved]
    if comparison["untested"]:
        lines.append(f"untested statistics: {_counted(comparison['untested'], 'why')}")
    return lines
