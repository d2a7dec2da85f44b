"""Scheduling intelligence: fetch tiers and the next-run decisions (pure, clock injected).

Modules: ``tiers`` (hours-to-tip -> tier), ``policy`` (the knobs, from the settings),
``planner`` (the next odds run from every upcoming game), ``covering`` (the default
planner's per-game windows), ``quota`` (burn-rate pacing),
``results`` (scores and status runs), ``slots`` (idempotency keys, fork-free rescheduling),
``state`` (what the planner reads from the database), ``replay`` (a season through a
strategy with a simulated clock, for ``odds schedule replay``). Nothing here imports
Prefect; ``flows/`` does.
"""
