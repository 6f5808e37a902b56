import sys

from scc_desktop.cli import main

sys.exit(main())
