"""Backfill: choose past games, plan the cheapest historical calls, run them once."""
