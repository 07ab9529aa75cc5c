"""Extract: read a department file as the clerk made it, and normalise it to the contract."""
