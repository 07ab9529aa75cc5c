"""Validate: the problems found in a file, their bilingual messages, and the GX gate."""
