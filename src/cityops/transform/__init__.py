"""Transform: dbt builds the subject database from the raw current batches."""
