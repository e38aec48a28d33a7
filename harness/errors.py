"""Errors a user can act on: each message is one line naming the problem and the fix."""


class HarnessError(Exception):
    """A problem with the user's input or environment, shown without a traceback."""


class ModelLoadError(HarnessError):
    pass


class CaptureError(HarnessError):
    pass


class RegistryError(HarnessError):
    pass


class InputTooLong(HarnessError):
    """A claim's input is longer than the model's context: the claim cannot be decided on that model (inconclusive)."""
