"""cityops' development tools, kept out of the product: the sample writers (`cityops samples`,
the committed sample months, the tests' real-shaped files) and the `make bench` harness."""
