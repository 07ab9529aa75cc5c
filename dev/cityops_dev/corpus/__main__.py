"""`python -m cityops_dev.corpus`: the whole foreign-file matrix (make bench-foreign)."""

import sys

from cityops_dev.corpus import main

sys.exit(main())
