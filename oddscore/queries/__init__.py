"""The query layer: set-based, look-ahead-free reads over the stored odds.

Every public function takes an ``AsyncSession`` and issues a fixed number of statements,
whatever the number of events (no per-event loops).
"""
