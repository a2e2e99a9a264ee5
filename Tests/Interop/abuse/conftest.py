"""The abuse-control scenarios import the interop harness from the parent directory."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
