"""cityops: the city-operations subject database of Changning District."""
