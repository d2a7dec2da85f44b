"""Scheduling intelligence: fetch tiers and the next-run decision (pure, clock injected)."""
