"""The model pool of one run: each --model loaded once, on first use, and each measurement made once per model
and settings. torch is imported when the first model loads, not before."""

from __future__ import annotations

import inspect
import typing
from functools import cache
from typing import Any, Callable

from harness.plugin.options import RunOptions
from harness.settings import project


@cache
def measured_settings_type(measurement: Callable) -> type:
    """The annotated type of a measurement's second parameter: measure_rrt(loaded, settings: RRTSettings)."""
    parameters = list(inspect.signature(measurement).parameters)
    hints = typing.get_type_hints(measurement)
    if len(parameters) < 2 or parameters[1] not in hints:
        raise TypeError(f"{measurement.__qualname__} must take (model, settings: SettingsClass) to be used with measure()")
    return hints[parameters[1]]


class ModelPool:
    def __init__(self, options: RunOptions):
        self.options = options
        self.models: dict[str, Any] = {}  # spec -> LoadedModel
        self.measurements: dict[tuple, Any] = {}
        self.device: str | None = None  # resolved

    def resolve_device(self) -> str:
        """The device the run measures on; raises HarnessError where it is not usable (cuda without a GPU)."""
        from harness.checkpoints import check_dtype, resolve_device

        if self.device is None:
            self.device = resolve_device(self.options.device)
            check_dtype(self.options.dtype, self.device)
        return self.device

    def model(self, spec: str):
        if spec not in self.models:
            from harness.models import load_model

            loaded = load_model(spec, self.resolve_device(), self.options.dtype, self.options.labels[spec])
            loaded.memory_budget = self.options.max_memory
            self.models[spec] = loaded
        return self.models[spec]

    def family_models(self, family: str) -> list:
        """Every --model of ``family``, loaded, smallest first."""
        return sorted((self.model(spec) for spec in self.options.specs_of(family)), key=lambda loaded: loaded.parameter_count)

    @staticmethod
    def _key(measurement: Callable, model, settings) -> tuple:
        """The cache key: the measurement, the model, and the settings cut down to the type its signature names."""
        return measurement.__module__, measurement.__qualname__, model.spec, project(measured_settings_type(measurement), settings)

    def measure_all(self, measurement: Callable, model, settings_list: list) -> list:
        """``measure`` for many settings; those not measured yet go through ``measurement.batched`` together where the
        measurement has one (shared forward passes), one at a time otherwise. Each result is cached as ``measure`` would."""
        keys = [self._key(measurement, model, settings) for settings in settings_list]
        missing = list(dict.fromkeys(key for key in keys if key not in self.measurements))
        if missing and hasattr(measurement, "batched"):
            self.measurements.update(zip(missing, measurement.batched(model, [key[3] for key in missing])))
        for key in missing:
            if key not in self.measurements:
                self.measurements[key] = measurement(model, key[3])
        return [self.measurements[key] for key in keys]

    def measure(self, measurement: Callable, model, settings) -> Any:
        """``measurement(model, settings)``, made once per (measurement, model, settings) and shared by every claim.

        A claim's settings are cut down to the settings type the measurement's signature names, so claims that
        read the same measurement with different decision parameters share it."""
        key = self._key(measurement, model, settings)
        if key not in self.measurements:
            self.measurements[key] = measurement(model, key[3])
        return self.measurements[key]
