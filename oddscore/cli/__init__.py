"""The ``odds`` command line: a thin shell over ``oddscore``.

Command modules import only typer and rich at module level, so that ``odds --help`` starts in
well under a second and never imports Prefect; the library is imported inside each command.
"""
