"""The mailbox-tier and cluster scenarios: the interop harness from the parent directory, the
PostgreSQL helper of the directory suite, and a private Dovecot configured by Portcullis."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "directory"))
