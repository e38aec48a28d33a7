"""Multisine series on the patch grid. A patch model's attention row has one weight per patch of 16 values, so it samples
the series 16 times less often than a token model's does: the study's example (5-40 Hz over 3 s in 301 values) cannot
show in it. Here the series span PATCH_T1 = 2 s, so integer frequencies lie two spectral bins apart and a context of
32 patches (512 values) holds frequencies up to 4 Hz below a quarter of the patch rate."""

from __future__ import annotations

from generators.chronos.multisine import Multisine

PATCH_T1 = 2.0
PATCH_SIZE = 16

# The study's example in its shape (octaves with falling amplitudes; smallest gap and fundamental equal) at the
# longest the patch grid of the zoo's patch models allows: 1, 2, 4 Hz over 32 patches. Both predictions are 1 Hz.
PATCH_EXAMPLE = Multisine(frequencies=(1.0, 2.0, 4.0), amplitudes=(1.0, 0.75, 0.5), t1=PATCH_T1, steps=32 * PATCH_SIZE)
