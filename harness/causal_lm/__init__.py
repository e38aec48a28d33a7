"""The causal-lm family: decoder-only transformers language models (*ForCausalLM / *LMHeadModel), read through
their self-attention, final logits and per-head outputs.

Modules: loading, capture (the only one that knows causal LMs' transformers internals), measure (attention
patterns, triplets with patching, induction strength), planted (attention-only GPT-2 circuits), figures,
architectures, training and card (the shipped attention-only model).
"""

from __future__ import annotations

import importlib
from pathlib import Path

from harness.causal_lm import loading, planted
from harness.family import Family, fixed_seed
from harness.zoo import ZOO_DIR

NAME = "causal-lm"


def recognises(config: dict) -> bool:
    architectures = config.get("architectures") or []
    return not config.get("is_encoder_decoder") and any(a.endswith(("ForCausalLM", "LMHeadModel")) for a in architectures)


def build_planted(name: str, cache: Path) -> Path:
    return planted.planted_checkpoint(name, cache)


def write_planted(name: str, out: Path, seed: int) -> Path:
    fixed_seed(name, seed)
    return planted.build_layout(out, name)


FAMILY = Family(
    name=NAME,
    fixture="causal_lm",
    reads="a decoder-only causal LM (config.json architectures *ForCausalLM or *LMHeadModel)",
    recognises=recognises,
    check_config=lambda config, path: None,
    load=loading.load,
    planted_layouts=tuple(planted.LAYOUTS),
    build_planted=build_planted,
    write_planted=write_planted,
    zoo=lambda: importlib.import_module("harness.causal_lm.zoo"),
    zoo_models={"attn-only-2l": ZOO_DIR / "attn-only-2l"},
)
