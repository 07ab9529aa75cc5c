"""Load: the warehouse, its schemas, staging by COPY and the write-audit-publish step."""
