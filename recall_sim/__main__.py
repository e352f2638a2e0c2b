"""``python -m recall_sim``: the same command as the ``recall-sim`` console script."""

from recall_sim.simulator.cli import main

raise SystemExit(main())
