"""Quality over time: who sent what for a month, the suites a reviewer reads, GX Data Docs."""
