import sys
from pathlib import Path

# the scenario builders shared with the stack tests (a helper module, not a package name)
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "stacks"))
