"""The patch-model families: Chronos-Bolt (chronos-bolt) and Chronos-2 (chronos-2), the Chronos models that read a
series in patches of values through chronos-forecasting's own classes.

Modules: families (the two Family entries), bolt and chronos2 (each the only one that knows its family's transformers
internals: config checks, loading with eager attention, capture), induction (RRT on repeated random patches, scored as for Chronos-T5),
planted (checkpoints of both families with patch-induction heads set by construction), training / zoo / card (the
miniature models of both families in the zoo).
"""
