"""The security tests scan with tests/reliability's secret_scan, written apart from the
masking code on purpose (see there)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "reliability"))
