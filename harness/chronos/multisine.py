"""Attention spectra on a multisine series, per layer and head: Chronos-T5's cross-attention over the series' tokens,
or (through its family's own measurement) a patch model's forecasting query over the series' patches."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
from scipy import stats

from generators.chronos.multisine import Multisine
import harness.chronos.series as series
import harness.chronos.spectrum as spectrum


@dataclass(frozen=True)
class SpectralMeasurement:
    signal: Multisine
    model: dict
    rows: np.ndarray  # (layers, heads, positions): the query's attention over the series (EOS, REG left out)
    frequencies_axis: np.ndarray
    magnitudes: np.ndarray  # (layers, heads, bins)
    procedure: str
    values_per_position: int = 1  # a patch model's attention has one position per patch

    @property
    def bin_width(self) -> float:
        return 1.0 / self.signal.t1

    def variation(self) -> np.ndarray:
        """std/mean of each head's row: 0 for uniform attention, and for a row with no weight on the series at all (a
        patch model's query that attends only to REG, its row rounded to 0 in bfloat16)."""
        mean = self.rows.mean(axis=-1)
        return np.divide(self.rows.std(axis=-1), mean, out=np.zeros_like(mean), where=mean > 0)

    @cached_property
    def periods(self) -> np.ndarray:
        """Each head's spectral period in Hz (NaN where the spectrum has none); estimated once."""
        return np.array([[spectrum.spectral_period(m, self.bin_width) or np.nan for m in layer] for layer in self.magnitudes])

    def non_dc_amplitude(self) -> np.ndarray:
        return self.magnitudes[..., 1:].sum(axis=-1)

    def amplitude_per_weight(self, min_weight: float) -> np.ndarray:
        """Non-DC amplitude over the row's weight on the series (the amplitude of the row's shape, whatever share of the
        query's attention it holds); 0 for a row with less than min_weight on the series, whose shape is rounding noise."""
        weight = self.rows.sum(axis=-1)
        return np.divide(self.non_dc_amplitude(), weight, out=np.zeros_like(weight), where=weight >= min_weight)

    def matches(self, predicted: float) -> np.ndarray:
        """Per head: is its spectral period within one bin of ``predicted`` (False where it has none)?"""
        return np.abs(self.periods - predicted) <= self.bin_width * 1.0001

    def log_ratios_at(self, frequencies) -> np.ndarray:
        """Per head: log10 of the spectral energy within one bin of ``frequencies`` over the energy elsewhere (0 where
        either is 0)."""
        ratios = np.zeros(self.rows.shape[:2])
        for layer, head in np.ndindex(*ratios.shape):
            near, off = spectrum.energy_near(self.magnitudes[layer, head], self.frequencies_axis, frequencies, self.bin_width)
            ratios[layer, head] = np.log10(near / off) if off > 0 and near > 0 else 0.0
        return ratios

    def predictions(self) -> dict:
        return {"smallest_gap": spectrum.smallest_gap(self.signal.frequencies),
                "fundamental": spectrum.fundamental(self.signal.frequencies, self.bin_width)}

    def energetic(self, min_variation: float, min_weight: float) -> np.ndarray:
        """Heads whose row varies (std/mean >= min_variation) and holds at least min_weight of the query's attention: a
        row of near-zero weights (a query that attends elsewhere) has a spectrum of rounding noise, whatever its std/mean."""
        return (self.variation() >= min_variation) & (self.rows.sum(axis=-1) >= min_weight)

    def period_agreement(self, predicted: float, min_variation: float, min_weight: float, confidence: float) -> dict:
        """Share of energetic heads whose spectral period is within one bin of ``predicted``, with a Wilson CI."""
        energetic = self.energetic(min_variation, min_weight)
        periods = self.periods
        matches = energetic & self.matches(predicted)
        n, k = int(energetic.sum()), int(matches.sum())
        interval = stats.binomtest(k, n).proportion_ci(confidence, method="wilson") if n else None
        measured = periods[energetic]
        values, counts = np.unique(np.round(measured[~np.isnan(measured)], 4), return_counts=True)
        return {
            "predicted_period_hz": predicted,
            "energetic_heads": n,
            "matching_heads": k,
            "share": k / n if n else None,
            "share_ci": [float(interval.low), float(interval.high)] if interval else None,
            "most_common_period_hz": float(values[counts.argmax()]) if len(values) else None,
            "periods_hz": [[None if np.isnan(p) else round(float(p), 4) for p in layer] for layer in periods],
        }

    def figure_data(self, max_heads: int = 4) -> dict:
        """The series, the rows of the most varied heads, their spectra and spectral periods (for report.html)."""
        variation = self.variation()
        order = np.argsort(-variation, axis=None)[:max_heads]
        heads = []
        for flat in order:
            layer, head = np.unravel_index(flat, variation.shape)
            period = self.periods[layer, head]
            heads.append({"layer": int(layer), "head": int(head), "variation": round(float(variation[layer, head]), 4),
                          "period_hz": None if np.isnan(period) else round(float(period), 4),
                          "row": np.round(self.rows[layer, head], 6).tolist(), "magnitude": np.round(self.magnitudes[layer, head], 6).tolist()})
        predictions = self.predictions()
        return {"series": np.round(self.signal.values(), 6).tolist(),
                "time_s": np.round(np.arange(self.signal.steps) * self.signal.sample_spacing, 6).tolist(),
                "row_time_s": np.round(np.arange(self.rows.shape[-1]) * self.position_spacing, 6).tolist(),
                "frequencies_hz": np.round(self.frequencies_axis, 6).tolist(), "signal_frequencies_hz": list(self.signal.frequencies),
                "smallest_gap_hz": predictions["smallest_gap"], "fundamental_hz": predictions["fundamental"], "heads": heads}

    def measurement(self) -> dict:
        return {"model": self.model["name"], "device": self.model["device"], "dtype": self.model["dtype"], **self.signal.describe(),
                "procedure": self.procedure + ", one-sided |rfft| with bin width 1/t1", "positions": self.rows.shape[-1],
                "values_per_position": self.values_per_position, "bin_width_hz": self.bin_width, "chance_level": 1 / self.rows.shape[-1]}

    @property
    def position_spacing(self) -> float:
        return self.signal.sample_spacing * self.values_per_position


def spectral_measurement(signal: Multisine, model: dict, rows, procedure: str, values_per_position: int = 1) -> SpectralMeasurement:
    """The spectra of attention rows that sample ``signal`` once every ``values_per_position`` values."""
    axis, magnitudes = spectrum.magnitude_spectrum(rows, signal.sample_spacing * values_per_position)
    return SpectralMeasurement(signal, model, np.asarray(rows, dtype=np.float64), axis, magnitudes, procedure, values_per_position)


def measure_multisine(loaded, signal: Multisine) -> SpectralMeasurement:
    import harness.chronos.capture as capture

    if "multisine" in loaded.own_measurements:  # a family that reads the series its own way (patch models)
        return loaded.own_measurements["multisine"](loaded, signal)
    ids, mask, _ = series.tokenize(loaded, signal.values())
    rows = capture.cross_attention(loaded.model, ids, np.zeros((1, 1), dtype=np.int64), attention_mask=mask)[0, :, :, 0, :-1].numpy()
    return spectral_measurement(signal, loaded.describe(), rows, "chronos tokenizer (mean scaling, EOS), decoder input [0], "
                                "cross-attention row of decoder position 0 over the series without EOS")
