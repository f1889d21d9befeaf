"""`python -m realtime read IMAGE...` (see realtime/cli.py)."""
import sys

from realtime.cli import main

sys.exit(main())
