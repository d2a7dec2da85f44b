"""prefect-aws is imported here: Prefect's environment first (a throwaway PREFECT_HOME)."""

from __future__ import annotations

from tests.prefect_env import isolate_prefect

isolate_prefect()
