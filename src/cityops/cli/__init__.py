"""`cityops`, the command line: one module per command group, each a thin call into the package.

main.py is the group (logging, and known failures turned into one line and an exit code);
warehouse.py, files.py (validate, ingest), month.py (build, run, backfill, status),
contracts.py (contracts, templates) and docs.py (docs, quality docs) hold the commands.
`cityops samples` comes from the development tools (dev/cityops_dev/command.py), added
through the `cityops.commands` entry point.
"""
