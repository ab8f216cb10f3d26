"""``python -m pipeline`` runs the CLI."""

import sys

from pipeline.cli import main

sys.exit(main())
