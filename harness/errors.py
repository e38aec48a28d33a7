"""Errors a user can act on: each message is one line naming the problem and the fix."""


class HarnessError(Exception):
    """A problem with the user's input or environment, shown without a traceback."""


class ModelLoadError(HarnessError):
    pass


class CaptureError(HarnessError):
    pass


class RegistryError(HarnessError):
    pass
