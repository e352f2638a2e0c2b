"""recall-sim: a fake Recall.ai and fake Zoom, and a conformance suite for token callbacks.

Everything recall-sim installs lives under this one import name, so a user's own
``simulator`` or ``conformance`` package can never shadow it:

- ``recall_sim.simulator``: the fakes, the prober and the judge (``simulator/`` in the
  repository);
- ``recall_sim.conformance``: the rules, the pytest plugin and ``recall-sim check``
  (``conformance/`` in the repository).

Importing this package imports nothing else: the pytest plugin loads it in every run.
"""
