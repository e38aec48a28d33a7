"""Compare two claims reports: verdicts that changed and deciding statistics that moved beyond their CIs."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.errors import HarnessError
from harness.report import schema

REGRESSION = ("passed", "failed")


def _key(record: dict) -> tuple[str, str]:
    return record["claim_id"], record["model"] or "all models"


def _decisive(record: dict) -> dict | None:
    decisive = record["statistics"].get("decisive")
    return decisive if decisive and isinstance(decisive.get("value"), (int, float)) else None


def _outside(value: float, ci) -> bool:
    return bool(ci) and not (min(ci) <= value <= max(ci))


@dataclass
class Comparison:
    verdict_changes: list[dict] = field(default_factory=list)
    moved_statistics: list[dict] = field(default_factory=list)
    only_in_old: list[dict] = field(default_factory=list)
    only_in_new: list[dict] = field(default_factory=list)
    models_only_in_old: list[str] = field(default_factory=list)
    models_only_in_new: list[str] = field(default_factory=list)

    @property
    def regressions(self) -> list[dict]:
        return [change for change in self.verdict_changes if (change["old"], change["new"]) == REGRESSION]

    def to_dict(self) -> dict[str, Any]:
        return {"verdict_changes": self.verdict_changes, "moved_statistics": self.moved_statistics, "regressions": self.regressions,
                "only_in_old": self.only_in_old, "only_in_new": self.only_in_new,
                "models_only_in_old": self.models_only_in_old, "models_only_in_new": self.models_only_in_new}


def compare(old: dict, new: dict) -> Comparison:
    """A deciding statistic has moved when either run's value lies outside the other run's CI."""
    old_records = {_key(r): r for r in old["claims"]}
    new_records = {_key(r): r for r in new["claims"]}
    result = Comparison(
        only_in_old=[{"claim_id": c, "model": m} for c, m in old_records.keys() - new_records.keys()],
        only_in_new=[{"claim_id": c, "model": m} for c, m in new_records.keys() - old_records.keys()],
        models_only_in_old=sorted(old["models"].keys() - new["models"].keys()),
        models_only_in_new=sorted(new["models"].keys() - old["models"].keys()),
    )
    result.only_in_old.sort(key=lambda r: (r["claim_id"], r["model"]))
    result.only_in_new.sort(key=lambda r: (r["claim_id"], r["model"]))
    for key in sorted(old_records.keys() & new_records.keys()):
        before, after = old_records[key], new_records[key]
        if before["outcome"] != after["outcome"]:
            result.verdict_changes.append({"claim_id": key[0], "model": key[1], "old": before["outcome"], "new": after["outcome"],
                                           "new_reason": after["reason"]})
        old_stat, new_stat = _decisive(before), _decisive(after)
        if old_stat and new_stat and old_stat["statistic"] == new_stat["statistic"]:
            if _outside(new_stat["value"], old_stat.get("ci")) or _outside(old_stat["value"], new_stat.get("ci")):
                result.moved_statistics.append({"claim_id": key[0], "model": key[1], "statistic": new_stat["statistic"],
                                                "old": old_stat["value"], "old_ci": old_stat.get("ci"),
                                                "new": new_stat["value"], "new_ci": new_stat.get("ci")})
    return result


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
    return f" [{ci[0]:.4g}, {ci[1]:.4g}]" if ci else ""


def render(comparison: Comparison) -> list[str]:
    lines = []
    if comparison.verdict_changes:
        lines.append("verdicts changed:")
        lines += [f"  {c['claim_id']} on {c['model']}: {c['old']} -> {c['new']}" + ("  (regression)" if (c["old"], c["new"]) == REGRESSION else "")
                  for c in comparison.verdict_changes]
    if comparison.moved_statistics:
        lines.append("statistics moved beyond their CI:")
        lines += [f"  {m['claim_id']} on {m['model']}: {m['statistic']} {m['old']:.4g}{_ci(m['old_ci'])} -> {m['new']:.4g}{_ci(m['new_ci'])}"
                  for m in comparison.moved_statistics]
    for label, items in (("only in the baseline", comparison.only_in_old), ("only in the new run", comparison.only_in_new)):
        if items:
            lines.append(f"claims {label} (not compared): " + ", ".join(f"{i['claim_id']} on {i['model']}" for i in items))
    for label, names in (("only in the baseline", comparison.models_only_in_old), ("only in the new run", comparison.models_only_in_new)):
        if names:
            lines.append(f"models {label}: " + ", ".join(names))
    if not comparison.verdict_changes and not comparison.moved_statistics:
        lines.insert(0, "no verdict changed and no deciding statistic moved beyond its CI")
    return lines
