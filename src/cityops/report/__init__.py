"""Report: where files go after a decision, and the reports a department reads."""
