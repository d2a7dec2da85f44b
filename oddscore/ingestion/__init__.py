"""Ingestion: provider payloads and files -> validated, idempotent, atomic storage.

Modules: ``pipeline`` (the one entry point for every source), ``validation`` (pure rules),
``quotes`` (payload -> quote rows), ``events`` (upserts, duplicate ids), ``store`` (the SQL),
``files`` (recorded archives), ``results`` (final scores from CSV), ``scores`` (``/scores``
and status transitions), ``fetch`` (one live call, stored), ``teams`` (NBA name aliases),
``report`` (``odds validate``).
Import from the submodules; this package stays empty so importing it stays cheap.
"""
