"""Shared pieces every layer may import: seeds, errors, files, statistics, nesting rules."""
