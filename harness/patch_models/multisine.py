"""Attention spectra of patch models on a multisine series: the forecasting query's attention over the context patches
(Bolt's decoder step, Chronos-2's first future patch; REG and future patches left out), one position per patch."""

from __future__ import annotations

from generators.chronos.multisine import Multisine
from harness.patch_models.induction import QUERIES, query_rows


def measure_patch_multisine(loaded, signal: Multisine):
    from harness.chronos.multisine import spectral_measurement  # scipy: not at plugin import

    patch = loaded.facts["patch_size"]
    rows = query_rows(loaded, signal.values()[None, :])[0, :, :, :signal.steps // patch].numpy()
    procedure = (f"the model's own instance normalisation and patching ({patch} values a patch); {QUERIES[loaded.family]} over the "
                 "context patches (REG and future patches left out)")
    return spectral_measurement(signal, loaded.describe(), rows, procedure, patch)
