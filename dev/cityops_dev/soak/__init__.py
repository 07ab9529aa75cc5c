"""Five years without drift: `make soak` (= python -m cityops_dev.soak). See __main__.py."""
