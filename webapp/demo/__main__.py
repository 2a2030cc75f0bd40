"""`python -m webapp.demo`: run the whole demo until Ctrl-C (see `supervisor`)."""

import sys

from .supervisor import main

sys.exit(main())
