"""Allow ``python -m abmkpi``."""

from abmkpi.cli import main

main()
