"""The `harness` command: measure a mosaic, build planted checkpoints, compare reports, train the zoo, benchmark."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from harness.errors import HarnessError

EPILOG = "--model takes a checkpoint directory, a hub id in the local Hugging Face cache, or planted:NAME."


def _int_pair(what: str, example: str):
    def parse(text: str) -> tuple[int, int]:
        try:
            first, second = (int(part) for part in text.split(":"))
        except ValueError:
            raise argparse.ArgumentTypeError(f"{what} {text!r} is not two integers joined by ':', e.g. {example}") from None
        return first, second

    return parse


_token_range = _int_pair("token range", "1911:2187")
_head = _int_pair("head", "0:3")


def format_grid(title: str, grid, marked: set[tuple[int, int]]) -> str:
    """A layer x head table of scores; '*' marks a classified head."""
    heads = len(grid[0])
    lines = [title, "layer  " + " ".join(f"  h{head:<4d}" for head in range(heads))]
    for layer, row in enumerate(grid):
        cells = " ".join(f"{value:6.3f}{'*' if (layer, head) in marked else ' '}" for head, value in enumerate(row))
        lines.append(f"{layer:5d}  {cells}")
    return "\n".join(lines)


def prefix_mosaic(loaded, settings, args) -> None:
    from harness import atomic
    from harness.chronos.ablation import measure_prefix

    result = measure_prefix(loaded, settings, site=args.site)
    heads = result.heads(args.threshold)
    print(f"model {loaded.name} ({loaded.parameter_count:,} parameters, {loaded.device}, {loaded.dtype}); {args.site} self-attention; "
          f"sl={args.sequence_length} rf={args.repetitions} batch={args.batch_size} seed={args.seed}; chance 1/T = {result.chance:.3f}; "
          f"'*' = CI lower bound >= {args.threshold}")
    print(format_grid("prefix matching (last repeat -> token after the previous occurrence)", result.scores.mean.tolist(), set(heads)))
    print(f"prefix-matching heads: {heads}\n")
    if args.json:
        out = Path(args.json) if len(args.model) == 1 else Path(args.json).with_name(f"{Path(args.json).stem}-{loaded.name.replace('/', '_').replace(':', '_')}.json")
        atomic.write_json(out, {"model": loaded.name, "model_info": loaded.describe(), "site": args.site,
                                "params": {**result.inputs, "threshold": args.threshold, "confidence": settings.confidence,
                                           "n_resamples": settings.n_resamples},
                                "chance_level": result.chance, "prefix": result.scores.to_dict(), "prefix_heads": heads})


def mosaic(args) -> int:
    from harness import atomic
    from harness.chronos.induction import RRTSettings, measure_rrt
    from harness.identity import labelled_models
    from harness.models import load_model

    settings = RRTSettings(args.sequence_length, args.repetitions, args.batch_size, args.seed, args.token_range)
    for spec, label in labelled_models(args.model).items():
        loaded = load_model(spec, args.device, args.dtype, label)
        if args.site != "cross":
            prefix_mosaic(loaded, settings, args)
            continue
        result = measure_rrt(loaded, settings, chunk_size=args.chunk_size, max_memory=args.max_memory)
        summary = result.summary(args.threshold)
        heads = result.classify(args.threshold)
        print(f"model {loaded.name} ({loaded.parameter_count:,} parameters, {loaded.device}, {loaded.dtype}); "
              f"sl={args.sequence_length} rf={args.repetitions} batch={args.batch_size} seed={args.seed}; "
              f"chance 1/T = {result.chance:.3f}; '*' = CI lower bound >= {args.threshold}")
        print(format_grid("current token", summary["mosaic"]["current"]["mean"], set(heads["current"])))
        print(format_grid("token to the right", summary["mosaic"]["right"]["mean"], set(heads["right"])))
        print(f"current-token heads: {heads['current']}\nright-token heads:   {heads['right']}\n")
        if args.json:
            out = Path(args.json) if len(args.model) == 1 else Path(args.json).with_name(f"{Path(args.json).stem}-{loaded.name.replace('/', '_').replace(':', '_')}.json")
            atomic.write_json(out, {
                "model": loaded.name,
                "model_info": loaded.describe(),
                "params": {**result.inputs, "threshold": args.threshold, "confidence": settings.confidence, "n_resamples": settings.n_resamples},
                "chance_level": result.chance,
                "center": summary["mosaic"]["current"]["mean"],
                "right": summary["mosaic"]["right"]["mean"],
                "center_ci": [summary["mosaic"]["current"]["ci_low"], summary["mosaic"]["current"]["ci_high"]],
                "right_ci": [summary["mosaic"]["right"]["ci_low"], summary["mosaic"]["right"]["ci_high"]],
                "current_heads": heads["current"],
                "right_heads": heads["right"],
            })
    return 0


def plant(args) -> int:
    from harness.chronos import planted
    from harness.models import planted_family

    if args.layout:
        family = planted_family(args.layout)
        if family.write_planted is None:
            raise HarnessError(f"the {family.name} family builds '{args.layout}' only for runs (--model planted:{args.layout}), "
                               f"not into a directory")
        path = family.write_planted(args.layout, Path(args.out), args.seed)
    else:
        kinds = {kind: getattr(args, kind) or [] for kind in planted.KINDS if kind != "uniform"}
        path = planted.build_planted(Path(args.out), args.layers, args.heads, kinds, seed=args.seed, sharpness=args.sharpness)
    print(f"wrote planted checkpoint {path}")
    return 0


def compare(args) -> int:
    from harness.report import compare as comparing

    result = comparing.compare(comparing.load_report(args.old), comparing.load_report(args.new))
    print("\n".join(comparing.render(result)))
    failure = comparing.gate(result) if args.fail_on_regression else None
    if failure:
        print(f"--fail-on-regression: {failure}", file=sys.stderr)
        return 1
    return 0


def bench(args) -> int:
    from harness import atomic
    from harness.checkpoints import resolve_device
    from harness.chronos import bench as benchmarking

    device = resolve_device(args.device)
    if args.suite:
        return bench_suite(args, device)
    rows, peaks = [], {}
    for size in args.sizes:
        for input_name in args.inputs:
            for dtype in args.dtypes:
                rows.append(benchmarking.measure(size, input_name, dtype, device, args.repeats, args.batch_size, args.memory, peaks))
                table = benchmarking.format_table(rows).splitlines()
                print("\n".join(table if len(rows) == 1 else table[-1 - args.memory:]), flush=True)
    print("matmul peak (GFLOP/s, 1024 x 1024): " + ", ".join(f"{dtype} {rate:.0f}" for dtype, rate in peaks.items()))
    print(f"machine: {benchmarking.machine()}")
    if args.json:
        atomic.write_json(Path(args.json), {"machine": benchmarking.machine(), "matmul_peak_gflop_per_s": peaks, "rows": rows})
    return 0


def bench_suite(args, device: str) -> int:
    from harness import atomic
    from harness.chronos import bench as benchmarking

    claims = Path(args.claims)
    if not (claims / "registry.yaml").is_file():
        raise HarnessError(f"no claims registry at {claims / 'registry.yaml'}; run from the repository root or pass --claims DIR")
    rows = []
    for size in args.sizes:
        for dtype in args.dtypes:
            rows.append(benchmarking.run_suite(size, claims, dtype, device))
            print(benchmarking.format_suite(rows).splitlines()[-1] if len(rows) > 1 else benchmarking.format_suite(rows), flush=True)
    print(f"machine: {benchmarking.machine()}")
    if args.json:
        atomic.write_json(Path(args.json), {"machine": benchmarking.machine(), "suite": rows})
    return 0


def zoo(args) -> int:
    import json

    from harness.checkpoints import resolve_device
    from harness.models import FAMILIES, load_model, zoo_models

    models = zoo_models()
    names = args.size or list(models)
    report = json.loads(Path(args.claims_report).read_text()) if args.claims_report else None
    for name in names:
        out = Path(args.out) if args.out and len(names) == 1 else models[name][0]
        commands = FAMILIES[models[name][1]].zoo()
        if args.action == "train":
            print(commands.train(name, out, steps=args.steps, device=resolve_device(args.device), resume=args.resume))
        elif args.action == "evaluate":
            if args.size or commands.HAS_EVALUATION:  # without --size: every model that has an evaluation of its own
                print(commands.evaluate(name, out, lambda path: load_model(str(path), "cpu", "float32")))
        else:
            print(f"wrote {commands.card(name, out, report, args.claims_report)}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    from harness.chronos.planted import KINDS  # no torch: the kinds of head are data
    from harness.models import FAMILIES, zoo_models

    parser = argparse.ArgumentParser(prog="harness", description="Interpretability claims about Chronos-T5 models.", epilog=EPILOG)
    commands = parser.add_subparsers(dest="command", required=True)

    m = commands.add_parser("mosaic", help="RRT induction mosaic of one or more models", epilog=EPILOG)
    m.add_argument("--model", action="append", required=True, metavar="MODEL")
    m.add_argument("--sequence-length", type=int, default=10, metavar="N")
    m.add_argument("--repetitions", type=int, default=2, metavar="N")
    m.add_argument("--batch-size", type=int, default=100, metavar="N")
    m.add_argument("--seed", type=int, default=0)
    m.add_argument("--token-range", type=_token_range, default=(1911, 2187), metavar="LOW:HIGH")
    m.add_argument("--threshold", type=float, default=0.3)
    m.add_argument("--device", default="auto", help="auto (cuda if available), cpu or cuda[:N] (default: auto)")
    m.add_argument("--dtype", default="auto", help="auto (bfloat16 on cuda, float32 on cpu), float32 or bfloat16 (default: auto)")
    m.add_argument("--chunk-size", type=int, default=None, metavar="N",
                   help="forward the batch in chunks of N (default: as large as fits the memory budget)")
    m.add_argument("--max-memory", default=None, metavar="SIZE",
                   help="memory budget, e.g. 4GB (default: half of the memory available); a batch that cannot fit is refused")
    m.add_argument("--site", default="cross", choices=("cross", "encoder", "decoder"),
                   help="cross: current- and right-token scores of the decoder cross-attention (default); encoder or decoder: "
                        "prefix-matching scores of that self-attention (the decoder reads the RRT tokens teacher-forced)")
    m.add_argument("--json", metavar="OUT", help="write the mosaic as JSON")
    m.set_defaults(run=mosaic)

    p = commands.add_parser("plant", help="write a planted checkpoint: a named layout of any family, or Chronos-T5 heads planted where "
                                          "--current, --right, ... say")
    p.add_argument("out", metavar="DIR")
    p.add_argument("--layout", help="a named layout: " + ", ".join(name for family in FAMILIES.values() for name in family.planted_layouts))
    p.add_argument("--layers", type=int, default=6)
    p.add_argument("--heads", type=int, default=4)
    for kind in (kind for kind in KINDS if kind != "uniform"):
        p.add_argument(f"--{kind}", type=_head, action="append", metavar="LAYER:HEAD", help=f"plant a {kind} head (repeatable)")
    p.add_argument("--seed", type=int, default=0, help="draws a Chronos-T5 checkpoint's weights that no planted head sets "
                                                         "(other families' layouts set every weight)")
    p.add_argument("--sharpness", type=float, default=40.0, help="logit of a perfect match (default: 40)")
    p.set_defaults(run=plant)

    c = commands.add_parser("compare", help="two runs, models paired by label: what was compared, verdicts that changed, and "
                                            "deciding statistics whose difference is significant")
    c.add_argument("old", metavar="OLD", help="the baseline report.json (or its run directory)")
    c.add_argument("new", metavar="NEW", help="the newer report.json (or its run directory)")
    c.add_argument("--fail-on-regression", action="store_true",
                   help="exit 1 when a claim went from passed to failed, or when nothing was compared (no model label in both runs)")
    c.set_defaults(run=compare)

    b = commands.add_parser("bench", help="forward-pass throughput: plain sdpa vs capture vs the study's generate, per architecture")
    b.add_argument("--sizes", nargs="+", default=["small"], choices=["tiny", "mini", "small", "base", "large"])
    b.add_argument("--inputs", nargs="+", default=["rrt", "context512"], choices=["rrt", "context512"])
    b.add_argument("--dtypes", nargs="+", default=["float32", "bfloat16"], choices=["float32", "bfloat16"])
    b.add_argument("--device", default="auto", help="auto (cuda if available), cpu or cuda[:N]")
    b.add_argument("--repeats", type=int, default=5, help="timed calls per path (median reported)")
    b.add_argument("--batch-size", type=int, default=None, metavar="N", help="override the input's batch (rrt 100, context512 32)")
    b.add_argument("--memory", action="store_true", help="also measure each path's peak memory in a fresh process")
    b.add_argument("--suite", action="store_true",
                   help="time a whole `pytest claims/` run on a random-init checkpoint of each --sizes shape, per claim (--dtypes as given)")
    b.add_argument("--claims", default="claims", metavar="DIR", help="with --suite: the claims directory (default: claims)")
    b.add_argument("--json", metavar="OUT", help="write every measurement as JSON")
    b.set_defaults(run=bench)

    z = commands.add_parser("zoo", help="train, evaluate and describe the miniature models shipped in harness/zoo/models")
    z.add_argument("action", choices=["train", "evaluate", "card"])
    z.add_argument("--size", action="append", choices=list(zoo_models()),
                   help="repeatable; default: every model (evaluate: every Chronos size)")
    z.add_argument("--out", metavar="DIR", help="with one --size: write there instead of its directory in harness/zoo/models")
    z.add_argument("--steps", type=int, default=None,
                   help="train: one cycle of N steps instead of the recipe's schedule (for a Chronos-T5 size, at its short context of 64 values)")
    z.add_argument("--resume", metavar="DIR", help="train: continue a checkpoint of this size that has run fewer cycles than its recipe")
    z.add_argument("--claims-report", metavar="REPORT", help="card: the report.json of `pytest claims/` on the zoo")
    z.add_argument("--device", default="cpu", help="train: cpu, cuda[:N] or auto (default: cpu, where the shipped sizes were trained)")
    z.set_defaults(run=zoo)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except (HarnessError, ValueError) as error:
        print(f"harness: error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
